import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { processStartTicks } from '../../src/process-alive.ts';
import { ClickHouseError } from '../../src/warehouse/clickhouse-error.ts';
import { acquireServerLock } from '../../src/warehouse/server/server-lock.ts';
import { qualified, quoteString } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { openTestWarehouse, serverAvailable, tempDir, testTarget } from '../helpers/fixtures.ts';
import { refusal } from '../helpers/refusal.ts';

/** The server lock module on its own, against the real 18.16 server. */

async function plant(
  warehouse: Warehouse,
  host: string,
  agoSeconds: number,
  token = 'planted',
  owner = { pid: 4242, start: '7' },
) {
  const view = qualified(warehouse.database, '_dema_lock');
  await warehouse.command(`DROP TABLE IF EXISTS ${view}`);
  await warehouse.command(
    `CREATE VIEW ${view} AS SELECT ${quoteString(token)} AS token, 'process 4242 on ${host}' AS owner, ${quoteString(host)} AS host, ${owner.pid} AS pid, ${quoteString(owner.start)} AS start, toDateTime(toUInt64(now()) - ${agoSeconds}) AS acquired, 60 AS ttl`,
  );
}

test('server lock: exclusive, kept alive by heartbeats, broken when expired, lost when broken, released only by its owner', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const warehouse = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  const first = await acquireServerLock(warehouse, { ttlSeconds: 2 });
  const refused = await refusal(acquireServerLock(warehouse));
  assert.equal(refused.code, 'WAREHOUSE_LOCKED');
  assert.match(refused.message, new RegExp(`in use by process ${process.pid} on ${hostname()}`));
  assert.match(refused.hint ?? '', /--wait.*expires by itself within [0-2] s.*DROP TABLE/);
  // Twice the ttl later the heartbeats still hold it.
  await new Promise((done) => setTimeout(done, 4000));
  await first.check();
  assert.equal((await refusal(acquireServerLock(warehouse))).code, 'WAREHOUSE_LOCKED');
  await first.release();
  const second = await acquireServerLock(warehouse);
  await second.check();
  // Someone broke it (as an expired lock is broken): the owner finds out, and its release leaves the new lock.
  await plant(warehouse, 'elsewhere', 0, 'newer');
  const lost = await refusal(second.check());
  assert.equal(lost.code, 'WAREHOUSE_LOCKED');
  assert.match(lost.message, /lost its lock on database \S+; another command may be working on it\.$/);
  assert.equal(lost.hint, 'Nothing more was published by this command. Run it again.');
  await second.release();
  assert.equal((await refusal(acquireServerLock(warehouse))).code, 'WAREHOUSE_LOCKED');
  // Expired (no heartbeat for 10 minutes): broken and taken.
  await plant(warehouse, 'elsewhere', 600);
  const third = await acquireServerLock(warehouse);
  await third.check();
  await third.release();
  // Waiting: the owner releases after a moment.
  const fourth = await acquireServerLock(warehouse);
  setTimeout(() => void fourth.release(), 1000);
  const started = Date.now();
  const fifth = await acquireServerLock(warehouse, { waitMs: 30_000 });
  assert.ok(Date.now() - started >= 900);
  await fifth.release();
  const { rows } = await warehouse.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = ${quoteString(warehouse.database)} AND name LIKE '\\_dema\\_lock%'`,
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    ['_dema_lock_beats'],
    'no lock (or broken lock) is left behind',
  );
});

test('server lock: an owner on this host that is gone is broken at once; a live one is refused, named, with the time left', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const warehouse = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  const alive = { pid: other.pid!, start: processStartTicks(other.pid!)! };
  const dead = spawnSync('true').pid!;
  // Gone: a dead pid (no start recorded), a live pid that another process now has (other start time).
  for (const owner of [
    { pid: dead, start: '' },
    { pid: alive.pid, start: `${Number(alive.start) + 1}` },
  ]) {
    await plant(warehouse, hostname(), 0, 'gone', owner);
    const lock = await acquireServerLock(warehouse);
    await lock.check();
    await lock.release();
  }
  // The live owner on this host, and a fresh one elsewhere, are waited out, never broken.
  for (const host of [hostname(), 'elsewhere']) {
    await plant(warehouse, host, 0, 'live', alive);
    const refused = await refusal(acquireServerLock(warehouse));
    assert.equal(refused.code, 'WAREHOUSE_LOCKED');
    assert.match(refused.message, new RegExp(`is in use by process 4242 on ${host}\\.$`));
    assert.match(refused.hint ?? '', /expires by itself within (59|60) s/);
    const waited = await refusal(acquireServerLock(warehouse, { waitMs: 600 }));
    assert.match(waited.message, / \(waited [12] s\)\.$/);
  }
  // Expired, but another breaker wins every race for it: refused, and the hint never counts below zero.
  await plant(warehouse, 'elsewhere', 70, 'expired');
  const losing = {
    database: warehouse.database,
    query: warehouse.query.bind(warehouse),
    command: (statement: string) =>
      statement.startsWith('RENAME TABLE')
        ? Promise.reject(new ClickHouseError(60, 'UNKNOWN_TABLE', 'Table does not exist'))
        : warehouse.command(statement),
  } as unknown as Warehouse;
  const expired = await refusal(acquireServerLock(losing));
  assert.match(expired.hint ?? '', /expires by itself within 0 s/);
});

test('server lock: a breaker that finds a new owner in the lock it moved aside puts it back', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const warehouse = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  await plant(warehouse, 'elsewhere', 600, 'expired');
  // Between the breaker's look (expired) and its RENAME, the expired lock is broken and taken by another.
  let raced = false;
  const racing = {
    database: warehouse.database,
    query: warehouse.query.bind(warehouse),
    async command(statement: string) {
      if (!raced && /^RENAME TABLE .*_dema_lock` TO .*_broken_/.test(statement)) {
        raced = true;
        await plant(warehouse, 'elsewhere', 0, 'newer');
      }
      return warehouse.command(statement);
    },
  } as unknown as Warehouse;
  const refused = await refusal(acquireServerLock(racing));
  assert.ok(raced);
  assert.match(refused.message, /in use by process 4242 on elsewhere/);
  const { rows } = await warehouse.query<{ token: string }>(
    `SELECT token FROM ${qualified(warehouse.database, '_dema_lock')}`,
  );
  assert.deepEqual(rows, [{ token: 'newer' }], 'the new owner keeps its lock');
  const tables = await warehouse.listTables(warehouse.database);
  assert.deepEqual(tables.map((x) => x.name).sort(), ['_dema_lock', '_dema_lock_beats']);
});

test('server lock: an owner whose heartbeats fail loses the lock once it expires, and says why', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const warehouse = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  let beats = true;
  const flaky = {
    database: warehouse.database,
    query: warehouse.query.bind(warehouse),
    command: (statement: string) =>
      !beats && statement.startsWith('INSERT INTO')
        ? Promise.reject(new Error('server unreachable'))
        : warehouse.command(statement),
  } as unknown as Warehouse;
  const lock = await acquireServerLock(flaky, { ttlSeconds: 1 });
  beats = false;
  await new Promise((done) => setTimeout(done, 2500));
  const lost = await refusal(lock.check());
  assert.equal(lost.code, 'WAREHOUSE_LOCKED');
  assert.match(lost.message, /lost its lock on database \S+ \(it could not refresh it\)/);
  await lock.release();
});

test('server lock: records its start time; a lock dropped under its owner is lost, not an error; a lock released mid-look is taken; DDL failures surface', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server');
  const warehouse = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  const view = qualified(warehouse.database, '_dema_lock');
  const lock = await acquireServerLock(warehouse, { ttlSeconds: 2 });
  const { rows } = await warehouse.query<{ start: string; pid: string }>(
    `SELECT start, toString(pid) AS pid FROM ${view}`,
  );
  assert.deepEqual(rows, [{ start: processStartTicks(process.pid), pid: String(process.pid) }]);
  // Heartbeats every ttl/4, not in a loop.
  await new Promise((done) => setTimeout(done, 1500));
  const beats = await warehouse.query<{ n: string }>(
    `SELECT toString(count()) AS n FROM ${qualified(warehouse.database, '_dema_lock_beats')}`,
  );
  assert.ok(Number(beats.rows[0]!.n) <= 10, `${beats.rows[0]!.n} beats in 1.5 s`);
  await warehouse.command(`DROP TABLE ${view}`);
  assert.equal((await refusal(lock.check())).code, 'WAREHOUSE_LOCKED');
  await lock.release();
  // The holder releases between this process's failed CREATE and its look at the owner: it takes the lock.
  await plant(warehouse, 'elsewhere', 0, 'leaving');
  let released = false;
  const racing = {
    database: warehouse.database,
    query: warehouse.query.bind(warehouse),
    async command(statement: string) {
      try {
        return await warehouse.command(statement);
      } finally {
        if (!released && statement.startsWith('CREATE VIEW')) {
          released = true;
          await warehouse.command(`DROP TABLE ${view}`);
        }
      }
    },
  } as unknown as Warehouse;
  const taken = await acquireServerLock(racing);
  assert.ok(released);
  await taken.check();
  await taken.release();
  // Any other DDL failure is an error, never "lost a race".
  const broken = {
    database: warehouse.database,
    query: warehouse.query.bind(warehouse),
    command: (statement: string) =>
      statement.startsWith('CREATE VIEW')
        ? Promise.reject(new ClickHouseError(497, 'ACCESS_DENIED', 'Not enough privileges'))
        : warehouse.command(statement),
  } as unknown as Warehouse;
  await assert.rejects(acquireServerLock(broken), /Not enough privileges/);
});
