import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connectForCommand } from '../../src/cli/context.ts';
import { silentReporter } from '../../src/events.ts';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { bootId, processStartTicks } from '../../src/process-alive.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { qualified, quoteIdent, quoteString } from '../../src/warehouse/sql.ts';
import { runCli } from '../helpers/cli.ts';
import {
  openTestWarehouse,
  serverAvailable,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

/** One lock per warehouse, on both transports: held for the whole command, waited for, never fooled by a reused pid. */

function sleeper(t: TestContext): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

function writeEmbeddedLock(directory: string, owner: { pid: number; start?: string }): string {
  const path = join(directory, 'dema.lock');
  writeFileSync(
    path,
    JSON.stringify({ ...owner, boot: bootId(), command: 'dema ingest', since: new Date().toISOString() }),
  );
  return path;
}

test('embedded: a stale dema.lock whose pid now belongs to another process does not block; a live owner is named, with how to clear it', async (t) => {
  const dir = tempDir(t);
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const store = join(dir, 'warehouse');
  const first = await runCli(['--config', config.file, 'query', 'SELECT 1']);
  assert.equal(first.code, 0, first.stderr);
  // The pid is alive (a `sleep` reuses it), but it started at another time than the lock's owner.
  const other = sleeper(t);
  const lock = writeEmbeddedLock(store, { pid: other.pid!, start: '1' });
  const reused = await runCli(['--config', config.file, 'query', 'SELECT 1']);
  assert.equal(reused.code, 0, reused.stderr);
  assert.ok(!existsSync(lock), 'released after the command');
  // The same pid with its real start time: that process is the owner.
  writeEmbeddedLock(store, { pid: other.pid!, start: processStartTicks(other.pid!)! });
  const blocked = await runCli(['--config', config.file, 'query', 'SELECT 1']);
  assert.equal(blocked.code, 1);
  assert.match(
    blocked.stderr,
    new RegExp(`WAREHOUSE_LOCKED.*in use by process ${other.pid} \\(dema ingest\\)`),
  );
  assert.match(blocked.stderr, /--wait/);
  assert.ok(blocked.stderr.includes(`delete ${lock}`), blocked.stderr);
  // --wait: the owner ends a moment later, and the command goes on.
  setTimeout(() => other.kill('SIGKILL'), 1500);
  const waited = await runCli(['--config', config.file, '--wait', '30', 'query', 'SELECT 1']);
  assert.equal(waited.code, 0, waited.stderr);
});

test('embedded: --wait waits for a dema process that holds the store, then runs', async (t) => {
  const dir = tempDir(t);
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const holder = await connectWarehouse(config.targets.test!);
  let released = false;
  setTimeout(() => {
    released = true;
    void holder.close();
  }, 2000);
  const waited = await runCli(['--config', config.file, '--wait', '60', 'query', 'SELECT 1']);
  assert.ok(released);
  assert.equal(waited.code, 0, waited.stderr);
});

test('server: two ingests of the same new file wait for the lock: one loads it, the other skips it; one without --wait fails clearly', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 20_000, styles: 40 });
  const target = testTarget('server', dir);
  const config = writeProjectConfig(dir, target);
  const warehouse = await openTestWarehouse(t, target);
  const ingest = ['--config', config.file, '--json', 'ingest', 'orders'];
  // Another command holds the warehouse while the three start.
  const holder = await connectForCommand(target, {}, silentReporter);
  const both = [runCli(['--wait', '120', ...ingest]), runCli(['--wait', '120', ...ingest])];
  const refused = await runCli(ingest);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /WAREHOUSE_LOCKED/);
  assert.match(refused.stdout, /--wait/);
  await holder.close();
  const results = await Promise.all(both);
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const skipped = results.filter((r) => r.events.some((e) => e.type === 'load.skipped'));
  const loaded = results.filter((r) => r.events.some((e) => e.type === 'load.done'));
  assert.equal(skipped.length, 1, 'the second one skips the file');
  assert.equal(loaded.length, 1);
  const loads = await listLoads(warehouse, { source: 'orders' });
  assert.deepEqual(
    loads.map((l) => l.status),
    ['success'],
  );
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
  assert.equal(Number(rows[0]!.n), 20_000);
});

test('server: a lock of a dead process on this host, or an expired one, is broken; a live one elsewhere is not', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const dir = tempDir(t);
  const target = testTarget('server', dir);
  const config = writeProjectConfig(dir, target);
  const warehouse = await openTestWarehouse(t, target);
  const view = qualified(warehouse.database, '_dema_lock');
  const plant = async (host: string, pid: number, start: string, agoSeconds: number) => {
    await warehouse.command(`DROP TABLE IF EXISTS ${view}`);
    await warehouse.command(
      `CREATE VIEW ${view} AS SELECT 'planted' AS token, ${quoteString(`process ${pid} on ${host}`)} AS owner, ${quoteString(host)} AS host, ${pid} AS pid, ${quoteString(start)} AS start, toDateTime(toUInt64(now()) - ${agoSeconds}) AS acquired, 60 AS ttl`,
    );
  };
  const query = () => runCli(['--config', config.file, 'query', 'SELECT 1']);
  // A live pid on this host with another start time: the owner is gone, the pid reused.
  const other = sleeper(t);
  await plant(hostname(), other.pid!, '1', 0);
  assert.equal((await query()).code, 0);
  // Expired: another host, last seen 10 minutes ago.
  await plant('elsewhere', 4242, '7', 600);
  assert.equal((await query()).code, 0);
  // Live elsewhere (fresh): refused, with the owner and how to clear it.
  await plant('elsewhere', 4242, '7', 0);
  const refused = await query();
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /WAREHOUSE_LOCKED.*in use by process 4242 on elsewhere/);
  assert.ok(
    refused.stderr.includes(`DROP TABLE ${quoteIdent(warehouse.database)}.\`_dema_lock\``),
    refused.stderr,
  );
  // The live owner on this host: refused too.
  await plant(hostname(), other.pid!, processStartTicks(other.pid!)!, 0);
  assert.equal((await query()).code, 1);
  await warehouse.command(`DROP TABLE IF EXISTS ${view}`);
});
