import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { ingest } from '../../src/ingest/ingest.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, tempDir, testTarget, writeProjectConfig } from '../helpers/fixtures.ts';
import { chunked, rawServer, sized } from '../helpers/raw-http.ts';

function csv(rows: number, tag: string): Buffer {
  return Buffer.from(`id,name\n${Array.from({ length: rows }, (_, i) => `${i},${tag} ${i}`).join('\n')}\n`);
}

function itemSource(name: string, location: string, merchant = 'default') {
  return { name, location, table: name, columns: ['id', 'name'], key: ['id'], merchant };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function count(warehouse: Awaited<ReturnType<typeof connectWarehouse>>, table: string) {
  const tables = (await warehouse.listTables('dema')).map((x) => x.name);
  if (!tables.includes(table)) return 0;
  const { rows } = await warehouse.query<{ n: string }>(`SELECT toString(count()) AS n FROM dema.${table}`);
  return Number(rows[0]!.n);
}

test('a file name with glob characters is loaded literally, never another file', async (t) => {
  const dir = tempDir(t);
  const names = ['glob{X}.csv', 'q?.csv', 'star*.csv', 'br[a].csv'];
  // Decoys the pattern would match, with as many rows as the real files: only content tells.
  for (const [i, decoy] of ['globX.csv', 'qz.csv', 'starry.csv', 'bra.csv'].entries())
    writeFileSync(join(dir, decoy), csv(100 + i, 'decoy'));
  const sources = names.map((name, i) => {
    writeFileSync(join(dir, name), csv(100 + i, 'real'));
    return itemSource(`s${i}`, join(dir, name));
  });
  const config = writeProjectConfig(dir, testTarget('embedded', dir), { sources });
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const outcomes = await ingest(
    config,
    warehouse,
    { only: [], locations: {}, force: false },
    { emit: () => {} },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['success', 'success', 'success', 'success'],
  );
  for (const [i, name] of names.entries()) {
    const { rows } = await warehouse.query<{ n: string }>(
      `SELECT toString(count()) AS n FROM dema.s${i} WHERE startsWith(name, 'real ')`,
    );
    assert.equal(Number(rows[0]!.n), 100 + i, name);
    assert.equal(await count(warehouse, `s${i}`), 100 + i, name);
    const [load] = await listLoads(warehouse, { source: `s${i}` });
    assert.equal(load!.sha256, sha256(readFileSync(join(dir, name))), name);
  }
});

test('downloads through ingest: encoded bodies load every row; a cut chunked body loads nothing', async (t) => {
  const dir = tempDir(t);
  const body = csv(20_000, 'row');
  const server = await rawServer(t, (socket, path) => {
    if (path === '/gzip.csv') return sized(socket, gzipSync(body), { 'content-encoding': 'gzip' });
    if (path === '/cut.csv') return chunked(socket, body, { noEnd: true });
    chunked(socket, body);
  });
  const sources = ['gzip', 'cut', 'plain'].map((name) => itemSource(name, server.url(`/${name}.csv`)));
  const config = writeProjectConfig(dir, testTarget('embedded', dir), { sources });
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const outcomes = await ingest(
    config,
    warehouse,
    { only: [], locations: {}, force: false, fetch: { baseDelayMs: 1, maxAttempts: 2 } },
    { emit: () => {} },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['success', 'failed', 'success'],
  );
  assert.equal(await count(warehouse, 'gzip'), 20_000);
  assert.equal(await count(warehouse, 'plain'), 20_000);
  assert.equal(await count(warehouse, 'cut'), 0);
  assert.deepEqual(await listLoads(warehouse, { source: 'cut', status: 'success' }), []);
  assert.deepEqual(readdirSync(join(dir, 'archive', 'default', 'cut')), []);
});

test('dema.yml fetch: settings bound a download: a silent server fails after idle_timeout_ms and retries', async (t) => {
  const dir = tempDir(t);
  const silent = await rawServer(t, () => {});
  const config = writeProjectConfig(dir, testTarget('embedded', dir), {
    sources: [itemSource('quiet', silent.url('/quiet.csv'))],
    fetch: { idle_timeout_ms: 200, connect_timeout_ms: 1000, retries: 1 },
  });
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const started = performance.now();
  const [outcome] = await ingest(
    config,
    warehouse,
    { only: [], locations: {}, force: false },
    { emit: () => {} },
  );
  const ms = performance.now() - started;
  assert.equal(outcome!.status, 'failed');
  assert.match(
    outcome!.status === 'failed' ? outcome!.error.message : '',
    /failed 2 times; last: no data received for 200 ms/,
  );
  assert.equal(silent.requests.length, 2);
  // Far below the default (two waits of 15 s), with room for a loaded machine.
  assert.ok(ms < 10_000, `took ${ms} ms`);
});

/** Writes a dema.yml by hand (so ids can be anything) and runs `dema --json ingest` on it. */
async function cliIngest(dir: string, yaml: string) {
  writeFileSync(join(dir, 'dema.yml'), yaml);
  return runCli(['--config', join(dir, 'dema.yml'), '--json', 'ingest']);
}

function yamlFor(dir: string, sources: unknown[], extra: Record<string, unknown> = {}): string {
  return stringify({
    target: 'test',
    targets: { test: testTarget('embedded', dir) },
    archive_dir: join(dir, 'archive'),
    sources,
    ...extra,
  });
}

test('merchant ids that would be paths are refused at config load, naming file:line and the pattern', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.csv'), csv(3, 'a'));
  for (const merchant of ['../../x', '/tmp/abs', 'a\0b', 'a/b', '.hidden', '']) {
    const text = yamlFor(dir, [itemSource('a', join(dir, 'a.csv'), merchant)]);
    const line = text.split('\n').findIndex((l) => l.includes('merchant:')) + 1;
    const result = await cliIngest(dir, text);
    assert.equal(result.code, 2, `${JSON.stringify(merchant)}: ${result.stdout}${result.stderr}`);
    const error = result.events.find((e) => e.type === 'error')!;
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(String(error.message), new RegExp(`dema\\.yml:${line}: sources\\.0\\.merchant: must match`));
    assert.ok(!existsSync(join(dir, 'archive')), 'nothing archived');
  }
  assert.ok(!existsSync(join(dir, '..', '..', 'x')));
  const long = await cliIngest(dir, yamlFor(dir, [itemSource('n'.repeat(101), join(dir, 'a.csv'))]));
  assert.equal(long.code, 2);
  assert.match(
    String(long.events.find((e) => e.type === 'error')!.message),
    /sources\.0\.name: must be at most 100/,
  );
});

/**
 * Mounts a tmpfs at `at` (a new directory; root only), unmounted when the test ends; undefined
 * where mounting is not allowed. Register it after the directory holding `at` is cleaned up last.
 */
function mountTmpfs(t: TestContext, options: string, at: string): string | undefined {
  mkdirSync(at, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  t.after(() => execFileSync('umount', [at]));
  return at;
}

/** A temporary directory removed after every other after-hook (the mounts inside it) has run. */
function dirRemovedLast(t: TestContext): { dir: string; register: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dema-test-'));
  return { dir, register: () => t.after(() => rmSync(dir, { recursive: true, force: true })) };
}

function failures(events: Record<string, unknown>[]) {
  return Object.fromEntries(events.filter((e) => e.type === 'load.failed').map((e) => [e.source, e]));
}

test('archive filesystem errors are coded per source and the other sources still load', async (t) => {
  const { dir, register } = dirRemovedLast(t);
  writeFileSync(join(dir, 'items.csv'), csv(30_000, 'item'));
  mkdirSync(join(dir, 'archive'));
  // m_file: a file stands where the merchant's directory would be.
  writeFileSync(join(dir, 'archive', 'm_file'), 'x');
  const sources = [
    itemSource('blocked', join(dir, 'items.csv'), 'm_file'),
    itemSource('fine', join(dir, 'items.csv'), 'm_ok'),
  ];
  const full = mountTmpfs(t, 'size=64k', join(dir, 'archive', 'm_full'));
  const readOnly = mountTmpfs(t, 'size=64k,ro', join(dir, 'archive', 'm_ro'));
  register();
  let downloads: string[] = [];
  if (full && readOnly) {
    sources.push(itemSource('full', join(dir, 'items.csv'), 'm_full'));
    // The same disk filling up during a download: not retried, the same coded error.
    const server = await rawServer(t, (socket) => chunked(socket, readFileSync(join(dir, 'items.csv'))));
    sources.push(itemSource('full_http', server.url('/items.csv'), 'm_full'));
    downloads = server.requests;
    sources.push(itemSource('readonly', join(dir, 'items.csv'), 'm_ro'));
  } else t.diagnostic('mount not allowed here: the disk-full and read-only cases are not run');
  const result = await cliIngest(dir, yamlFor(dir, sources));
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.doesNotMatch(result.stderr, /unexpected error/);
  const failed = failures(result.events);
  const expected: Record<string, RegExp> = {
    blocked: /m_file.*a part of the path is a file|m_file.*a file is in the way/,
    ...(full
      ? {
          full: /no space left on the device \(ENOSPC\)/,
          full_http: /no space left on the device \(ENOSPC\)/,
          readonly: /read-only \(EROFS\)/,
        }
      : {}),
  };
  assert.deepEqual(Object.keys(failed).sort(), Object.keys(expected).sort());
  for (const [source, message] of Object.entries(expected)) {
    assert.equal(failed[source]!.code, 'INGEST_ARCHIVE', source);
    assert.match(String(failed[source]!.message), message, source);
    assert.ok(failed[source]!.hint, source);
  }
  if (full) assert.equal(downloads.length, 1, 'a full disk is not retried');
  // Nothing partial is left anywhere in the archive.
  const leftovers = readdirSync(join(dir, 'archive'), { recursive: true }).map(String);
  assert.deepEqual(
    leftovers.filter((name) => name.endsWith('.part')),
    [],
  );
  const warehouse = await connectWarehouse(testTarget('embedded', dir));
  try {
    assert.equal(await count(warehouse, 'fine'), 30_000);
    for (const source of Object.keys(expected)) {
      assert.equal(await count(warehouse, source), 0, source);
      assert.deepEqual(await listLoads(warehouse, { source, status: 'success' }), [], source);
    }
  } finally {
    await warehouse.close();
  }
});

test('an unusable embedded store path is a coded error, not a crash', async (t) => {
  const { dir, register } = dirRemovedLast(t);
  writeFileSync(join(dir, 'store-file'), 'not a directory');
  const cases: [string, RegExp][] = [
    [join(dir, 'store-file'), /store-file.*(a part of the path is a file|a file is in the way)/],
  ];
  const readOnly = mountTmpfs(t, 'size=64k,ro', join(dir, 'ro-store'));
  register();
  if (readOnly) cases.push([readOnly, /read-only \(EROFS\)/]);
  else t.diagnostic('mount not allowed here: the read-only store case is not run');
  for (const [path, message] of cases) {
    const yaml = yamlFor(dir, [], { targets: { test: { type: 'chdb', path, schema: 'dema' } } });
    const result = await cliIngest(dir, yaml);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const error = result.events.find((e) => e.type === 'error')!;
    assert.equal(error.code, 'WAREHOUSE_STORE');
    assert.match(String(error.message), message);
  }
});
