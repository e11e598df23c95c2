import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { DemaError } from '../../src/errors.ts';
import { acquireServerLock } from '../../src/warehouse/server/server-lock.ts';
import { qualified, quoteString } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { openTestWarehouse, serverAvailable, tempDir, testTarget } from '../helpers/fixtures.ts';

/** The server lock module on its own, against the real 18.16 server. */

async function refusal(promise: Promise<unknown>): Promise<DemaError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DemaError, String(error));
    return error;
  }
  assert.fail('the lock was taken');
}

async function plant(warehouse: Warehouse, host: string, agoSeconds: number, token = 'planted') {
  const view = qualified(warehouse.database, '_dema_lock');
  await warehouse.command(`DROP TABLE IF EXISTS ${view}`);
  await warehouse.command(
    `CREATE VIEW ${view} AS SELECT ${quoteString(token)} AS token, 'process 4242 on ${host}' AS owner, ${quoteString(host)} AS host, 4242 AS pid, '7' AS start, toDateTime(toUInt64(now()) - ${agoSeconds}) AS acquired, 60 AS ttl`,
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
  assert.equal((await refusal(second.check())).code, 'WAREHOUSE_LOCKED');
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
