import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, tempDir, testTarget, writeProjectConfig } from '../helpers/fixtures.ts';

/** Guards of the load's flow that a wrong edit would silently lose. */

test('a local file that changes while it is loaded publishes nothing', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 2000, styles: 40 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const file = join(dir, 'orders.csv');
  const lastLine = readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)!;
  const [outcome] = await ingest(
    config,
    warehouse,
    { only: ['orders'], locations: {}, force: false },
    {
      emit(event) {
        // The writer appends a line after dema opened the file (a good row: only settled() can tell).
        if (event.type === 'load.start') appendFileSync(file, `x${lastLine}\n`);
      },
    },
  );
  assert.equal(outcome!.status, 'failed');
  assert.equal(outcome!.status === 'failed' && outcome!.error.code, 'INGEST_SOURCE_CHANGED');
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
  assert.equal(Number(rows[0]!.n), 0);
  assert.deepEqual(
    (await listLoads(warehouse, { source: 'orders' })).map((l) => l.status),
    ['failed'],
  );
});

test('a file that failed its error budget is not skipped as already loaded: it fails again, then loads once the budget allows', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 500, styles: 20 });
  const file = join(dir, 'orders.csv');
  appendFileSync(file, 'only,three,fields\n');
  const strict = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, strict.targets.test!);
  const run = async (config: typeof strict) =>
    (
      await ingest(config, warehouse, { only: ['orders'], locations: {}, force: false }, { emit: () => {} })
    )[0]!;
  const first = await run(strict);
  assert.equal(first.status === 'failed' && first.error.code, 'INGEST_ERROR_BUDGET');
  const again = await run(strict);
  assert.equal(again.status === 'failed' && again.error.code, 'INGEST_ERROR_BUDGET', 'not skipped');
  const lenient = writeProjectConfig(dir, testTarget('embedded', dir), { max_rejects: 1 });
  const loaded = await run(lenient);
  assert.equal(loaded.status, 'success');
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
  assert.equal(Number(rows[0]!.n), 500);
  assert.equal((await run(lenient)).status, 'skipped', 'and a loaded file is skipped');
});

test('every command removes half-written archive copies of dead processes, and only those', async (t) => {
  const dir = tempDir(t);
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const folder = join(dir, 'archive', 'default', 'orders');
  mkdirSync(folder, { recursive: true });
  const dead = spawnSync('true').pid!;
  const reused = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => reused.kill('SIGKILL'));
  const files = {
    // Its process is gone.
    dead: join(folder, `.${dead}-${Date.now()}-orders.csv.part`),
    // Its pid runs, but that process started after the file was created: a reused pid.
    reused: join(folder, `.${reused.pid}-${Date.now() - 60_000}-orders.csv.part`),
    // A live writer (this test) that may still be copying: kept.
    live: join(folder, `.${process.pid}-${Date.now()}-orders.csv.part`),
    // Not a partial copy.
    other: join(folder, '20260101T000000Z-0123456789ab-orders.csv'),
  };
  for (const path of Object.values(files)) writeFileSync(path, 'x');
  const result = await runCli(['--config', config.file, 'query', 'SELECT 1']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    Object.fromEntries(Object.entries(files).map(([name, path]) => [name, existsSync(path)])),
    { dead: false, reused: false, live: true, other: true },
  );
});

test('a local file rewritten in place with the same size while it is loaded publishes nothing', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 300, styles: 10 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const file = join(dir, 'orders.csv');
  const text = readFileSync(file, 'utf8');
  const [outcome] = await ingest(
    config,
    warehouse,
    { only: ['orders'], locations: {}, force: false },
    {
      emit(event) {
        // Same size, other bytes, a later mtime: only the mtime tells.
        if (event.type !== 'load.start') return;
        writeFileSync(
          file,
          text.replace(/\n(.)/, (_m, c: string) => `\n${c === 'x' ? 'y' : 'x'}`),
        );
        const later = new Date(Date.now() + 5000);
        utimesSync(file, later, later);
      },
    },
  );
  assert.equal(outcome!.status === 'failed' && outcome!.error.code, 'INGEST_SOURCE_CHANGED');
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
  assert.equal(Number(rows[0]!.n), 0);
});

test('the sha256 skip: the same bytes are skipped, other bytes of the same size load, --force loads again', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 200, styles: 10 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const file = join(dir, 'orders.csv');
  const run = async (force = false) =>
    (await ingest(config, warehouse, { only: ['orders'], locations: {}, force }, { emit: () => {} }))[0]!
      .status;
  assert.equal(await run(), 'success');
  assert.equal(await run(), 'skipped');
  const text = readFileSync(file, 'utf8');
  writeFileSync(
    file,
    text.replace(/\n(.)/, (_m, c: string) => `\n${c === 'x' ? 'y' : 'x'}`),
  );
  assert.equal(readFileSync(file).length, Buffer.byteLength(text));
  assert.equal(await run(), 'success', 'same size, other bytes');
  assert.equal(await run(), 'skipped');
  assert.equal(await run(true), 'success', '--force');
  assert.deepEqual(
    (await listLoads(warehouse, { source: 'orders' })).map((l) => l.status),
    ['success', 'success', 'success'],
  );
});
