import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connectForCommand } from '../../src/cli/context.ts';
import type { DemaConfig, TargetConfig } from '../../src/config/dema-config.ts';
import { silentReporter } from '../../src/events.ts';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import { runCli } from '../helpers/cli.ts';
import {
  serverAvailable,
  type Transport,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

/**
 * The publish protocol under kill -9 (src/ingest/README.md): `dema ingest` is killed at every named
 * point of fetch, archive, stage, publish and recovery, and after random delays; after each kill
 * the warehouse is opened as every dema command opens it (lock, then recovery) and must show every
 * load whole or not at all, the ledger must agree with the landing table, and a re-run must end
 * with exactly one copy of the file (raw rows, not only FINAL).
 */

const LINES = 2000;
/** Small insert blocks: the stage has many parts, so an ATTACH can be cut half-way (embedded). */
const BLOCK_ROWS = '200';

const NAMED = [
  'event:fetch.start',
  'event:fetch.done',
  'event:load.start',
  'load.started',
  'stage.created',
  'stage.loaded',
  'publish.validated',
  'publish.committed',
  'publish.attach',
  'publish.attached',
  'publish.recorded',
  'publish.dropped',
];

/** [ingest killed here, then the recovery (the next command) killed here]. */
const RECOVERY: [string, string][] = [
  ['publish.attached', 'recover.start'],
  ['publish.attached', 'recover.delete-issued'],
  ['publish.attached', 'recover.deleted'],
  ['publish.attached', 'recover.attached'],
  ['publish.attached', 'recover.recorded'],
  ['publish.committed', 'recover.deleted'],
  ['publish.committed', 'recover.attached'],
  ['stage.loaded', 'recover.start'],
  ['stage.loaded', 'recover.dropped'],
];

const RANDOM_POINTS: [string, number][] = [
  ['event:fetch.start', 30],
  ['load.started', 60],
  ['stage.created', 80],
  ['publish.committed', 20],
  ['publish.attach', 12],
];
const RANDOM_KILLS = 21;

/** A reproducible random sequence (the seed is printed with any failure). */
function randomSequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Scenario {
  readonly kill: string;
  readonly recoveryKill?: string;
}

function scenarios(seed: number): Scenario[] {
  const random = randomSequence(seed);
  const list: Scenario[] = NAMED.map((kill) => ({ kill }));
  for (const [kill, recoveryKill] of RECOVERY) list.push({ kill, recoveryKill });
  for (let i = 0; i < RANDOM_KILLS; i++) {
    const [point, maxMs] = RANDOM_POINTS[i % RANDOM_POINTS.length]!;
    list.push({ kill: `${point}+${Math.floor(random() * maxMs)}` });
  }
  return list;
}

/** The generated orders with every orderId prefixed: each variant's keys and name are its own. */
function writeVariant(dir: string, base: string, index: number): string {
  const [header, ...rows] = base.trimEnd().split('\n');
  const file = join(dir, `orders-${index}.csv`);
  writeFileSync(file, `${[header, ...rows.map((row) => `v${index}-${row}`)].join('\n')}\n`);
  return file;
}

function listParts(archiveDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.part')) found.push(join(dir, entry.name));
    }
  };
  try {
    walk(archiveDir);
  } catch {}
  return found;
}

interface LedgerRow {
  load_id: string;
  source_file: string;
  status: string;
  rows_loaded: string;
  landed: string;
}

/**
 * Opens the warehouse as a dema command does (lock, recovery) and checks the invariant: each file
 * in `complete` has exactly one whole copy; `maybe` has none or one whole copy; the ledger agrees.
 */
async function verify(
  target: TargetConfig,
  config: DemaConfig,
  complete: readonly string[],
  maybe: string | undefined,
  context: string,
): Promise<void> {
  const warehouse = await connectForCommand(
    target,
    { wait: '60' },
    silentReporter,
    resolve(config.root, config.archive_dir),
  );
  try {
    const tables = new Set((await warehouse.listTables(warehouse.database)).map((t) => t.name));
    const landed = new Map<string, { n: number; loads: number }>();
    if (tables.has('orders')) {
      const { rows } = await warehouse.query<{ f: string; n: string; loads: string }>(
        'SELECT _source_file AS f, toString(count()) AS n, toString(uniqExact(_load_id)) AS loads FROM orders GROUP BY f',
      );
      for (const row of rows) landed.set(row.f, { n: Number(row.n), loads: Number(row.loads) });
    }
    for (const file of complete)
      assert.deepEqual(landed.get(file), { n: LINES, loads: 1 }, `${context}: ${file} must be loaded once`);
    if (maybe !== undefined) {
      const got = landed.get(maybe);
      assert.ok(
        got === undefined || (got.n === LINES && got.loads === 1),
        `${context}: ${maybe} must be all or nothing, found ${JSON.stringify(got)}`,
      );
    }
    assert.equal(landed.size, complete.length + (maybe && landed.has(maybe) ? 1 : 0), context);
    if (tables.has('_dema_loads')) {
      // Each load's newest ledger row beside the rows it has in landing.
      const landing = tables.has('orders')
        ? '(SELECT _load_id AS load_id, count() AS landed FROM orders GROUP BY _load_id) AS l'
        : '(SELECT toString(0) AS load_id, toUInt64(0) AS landed) AS l';
      const { rows } = await warehouse.query<LedgerRow>(
        `SELECT load_id, source_file, status, toString(rows_loaded) AS rows_loaded, toString(landed) AS landed FROM
          (SELECT load_id, argMax(status, revision) AS status, argMax(rows_loaded, revision) AS rows_loaded,
                  argMax(location, revision) AS source_file FROM _dema_loads GROUP BY load_id) AS d
          ANY LEFT JOIN ${landing} USING load_id`,
      );
      for (const row of rows) {
        assert.ok(['success', 'failed'].includes(row.status), `${context}: ledger ${JSON.stringify(row)}`);
        const expected = row.status === 'success' ? row.rows_loaded : '0';
        assert.equal(row.landed, expected, `${context}: landing vs ledger ${JSON.stringify(row)}`);
      }
      const successes = new Map<string, number>();
      for (const row of rows.filter((r) => r.status === 'success'))
        successes.set(row.source_file, (successes.get(row.source_file) ?? 0) + 1);
      for (const [file, n] of successes) assert.equal(n, 1, `${context}: ${file} has ${n} successful loads`);
    }
    assert.deepEqual(
      [...tables].filter((name) => name.startsWith('_dema_stage_')),
      [],
      `${context}: stage tables left`,
    );
    assert.deepEqual(listParts(resolve(config.root, config.archive_dir)), [], `${context}: .part files left`);
  } finally {
    await warehouse.close();
  }
}

async function crashSuite(t: TestContext, transport: Transport): Promise<void> {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: LINES, styles: 40 });
  const base = readFileSync(join(dir, 'orders.csv'), 'utf8');
  const target = testTarget(transport, dir);
  const config = writeProjectConfig(dir, target);
  t.after(async () => {
    if (target.type !== 'clickhouse') return;
    const warehouse = await connectWarehouse(target);
    await warehouse.command(`DROP DATABASE IF EXISTS ${quoteIdent(target.schema)}`);
    await warehouse.close();
  });
  const seed = Number(process.env.DEMA_CRASH_SEED ?? Date.now() % 1_000_000);
  const env = { DEMA_TEST_BLOCK_ROWS: BLOCK_ROWS };
  const complete: string[] = [];
  let kills = 0;
  let killedMidAttach = 0;
  // DEMA_CRASH_POINTS=a,b runs only the scenarios killing there (to check a planted bug quickly).
  const only = process.env.DEMA_CRASH_POINTS?.split(',');
  const chosen = scenarios(seed).filter((s) => !only || only.some((point) => s.kill.startsWith(point)));
  for (const [index, scenario] of chosen.entries()) {
    const file = writeVariant(dir, base, index);
    const name = `orders-${index}.csv`;
    const context = `seed ${seed}, ${transport}, kill at ${scenario.kill}${scenario.recoveryKill ? ` then ${scenario.recoveryKill}` : ''}`;
    const ingest = ['--config', config.file, '--json', 'ingest', 'orders', '--location', `orders=${file}`];
    const killed = await runCli(ingest, { env: { ...env, DEMA_TEST_KILL_AT: scenario.kill } });
    // A named point always kills (a renamed or lost point would test nothing); a random delay may
    // outlast the load: then it simply succeeded.
    if (!scenario.kill.includes('+')) assert.equal(killed.signal, 'SIGKILL', `${context}: never reached`);
    if (killed.signal !== 'SIGKILL') assert.equal(killed.code, 0, `${context}: ${killed.stderr}`);
    else kills++;
    if (killed.signal === 'SIGKILL' && scenario.kill.startsWith('publish.attach+')) killedMidAttach++;
    if (scenario.recoveryKill) {
      const recovery = await runCli(['--config', config.file, 'query', 'SELECT 1'], {
        env: { DEMA_TEST_KILL_AT: scenario.recoveryKill },
      });
      assert.equal(recovery.signal, 'SIGKILL', `${context}: the recovery should reach its kill point`);
      kills++;
    }
    await verify(target, config, complete, name, context);
    const rerun = await runCli(ingest, { env });
    assert.equal(rerun.code, 0, `${context}: re-run ${rerun.stderr}${rerun.stdout}`);
    complete.push(name);
  }
  await verify(target, config, complete, undefined, `seed ${seed}, ${transport}, at the end`);
  // Random delays may outlast a load; the named points always kill.
  if (!only) assert.ok(kills >= 45, `only ${kills} kills`);
  t.diagnostic(
    `${kills} kills in ${complete.length} loads, ${killedMidAttach} after ATTACH began, seed ${seed}`,
  );
}

test('embedded: ingest killed at 50+ points (named and random) never shows part of a load nor loads one twice', async (t) => {
  await crashSuite(t, 'embedded');
});

test('server: ingest killed at 50+ points (named and random) never shows part of a load nor loads one twice', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  await crashSuite(t, 'server');
});
