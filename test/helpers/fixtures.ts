import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { type DemaConfig, parseConfig, type TargetConfig } from '../../src/config/dema-config.ts';
import { INVENTORY_COLUMNS as INVENTORY, ORDERS_COLUMNS } from '../../src/generate/catalog.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';

export function tempDir(t: TestContext | undefined, prefix = 'dema-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Best effort, and never failing the hook: an engine still finishing a background write (hooks
  // run in registration order, so before a warehouse registered later is closed) must not stop the
  // later hooks that close it.
  t?.after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {}
  });
  return dir;
}

export const SERVER_PORT = Number(process.env.CLICKHOUSE_PORT ?? 8123);

/** Is the test ClickHouse server up? In CI it must be: the server half of the suite is required there. */
export async function serverAvailable(): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${SERVER_PORT}/ping`);
    return response.ok;
  } catch {
    if (process.env.CI)
      throw new Error(`CI: no ClickHouse server on 127.0.0.1:${SERVER_PORT}; .ci/run must start it`);
    return false;
  }
}

/**
 * Why a server test cannot run here, for `t.skip(…)` / `{ skip }`: the test then shows as skipped
 * (never silently absent). False when the server answers; under CI a missing server throws instead.
 */
export async function serverSkipReason(): Promise<string | false> {
  return (await serverAvailable()) ? false : `no ClickHouse server on 127.0.0.1:${SERVER_PORT}`;
}

/**
 * A scratch database on the test server, dropped when the test ends: its name, a `post` that runs
 * one statement over HTTP (throwing ClickHouse's text on failure), and a dbt profile pointing at it.
 */
export function scratchServerSchema(t: TestContext, prefix: string, profileName: string) {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const url = `http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4&database=default`;
  const post = async (sql: string) => {
    const response = await fetch(url, { method: 'POST', body: sql });
    const text = await response.text();
    if (!response.ok) throw new Error(text);
    return text;
  };
  t.after(() => post(`DROP DATABASE IF EXISTS ${schema}`).catch(() => undefined));
  const profile = `${profileName}:\n  target: s\n  outputs:\n    s: {type: clickhouse, host: 127.0.0.1, port: ${SERVER_PORT}, user: dema, password: d3m4, schema: ${schema}}\n`;
  return { schema, post, profile };
}

export type Transport = 'embedded' | 'server';

/** A target with its own data directory or database, so test runs never share state. */
export function testTarget(transport: Transport, dir: string): TargetConfig {
  if (transport === 'embedded') return { type: 'chdb', path: join(dir, 'warehouse'), schema: 'dema' };
  return {
    type: 'clickhouse',
    host: '127.0.0.1',
    port: SERVER_PORT,
    secure: false,
    user: 'dema',
    password: 'd3m4',
    schema: `dema_test_${randomBytes(4).toString('hex')}`,
    request_timeout_ms: 120_000,
    settings: {},
  };
}

/** Opens the warehouse and drops a server test database when the test ends. */
export async function openTestWarehouse(t: TestContext, target: TargetConfig): Promise<Warehouse> {
  const warehouse = await connectWarehouse(target);
  t.after(async () => {
    if (target.type === 'clickhouse')
      await warehouse.command(`DROP DATABASE IF EXISTS ${quoteIdent(target.schema)}`).catch(() => {});
    await warehouse.close();
  });
  return warehouse;
}

export const ORDER_COLUMNS = [...ORDERS_COLUMNS];
export const INVENTORY_COLUMNS = [...INVENTORY];

/** Writes a dema.yml for the test project and returns it parsed. */
export function writeProjectConfig(
  dir: string,
  target: TargetConfig,
  extra: Record<string, unknown> = {},
): DemaConfig {
  const config = {
    target: 'test',
    targets: { test: target },
    archive_dir: join(dir, 'archive'),
    sources: [
      {
        name: 'inventory',
        location: join(dir, 'inventory.csv'),
        table: 'inventory',
        columns: INVENTORY_COLUMNS,
        key: ['productId'],
      },
      {
        name: 'orders',
        location: join(dir, 'orders.csv'),
        table: 'orders',
        columns: ORDER_COLUMNS,
        key: ['orderId', 'productId', 'dateTime'],
      },
    ],
    ...extra,
  };
  const file = join(dir, 'dema.yml');
  const text = stringify(config);
  writeFileSync(file, text);
  return parseConfig(text, file);
}

/** Writes a tree of files (paths relative to `dir`), creating directories. */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}
