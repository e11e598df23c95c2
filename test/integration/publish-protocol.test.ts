import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { DemaError } from '../../src/errors.ts';
import type { DemaEvent } from '../../src/events.ts';
import {
  createLandingSql,
  createLedgerSql,
  createStageSql,
  stageTableName,
} from '../../src/ingest/landing-sql.ts';
import {
  type LoadRecord,
  type LoadStatus,
  listLoads,
  newLoadRecord,
  writeLoadRecord,
} from '../../src/ingest/ledger.ts';
import { deleteLoadRows, publishLoad, recoverLoads } from '../../src/ingest/publish.ts';
import { qualified } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { openTestWarehouse, serverSkipReason, tempDir, testTarget } from '../helpers/fixtures.ts';
import { refusal } from '../helpers/refusal.ts';

/**
 * The publish protocol (src/ingest/publish.ts, invariant in src/ingest/README.md) driven in-process:
 * each state a kill or a failure leaves is built directly (ledger rows, stage tables, rows already in
 * landing), then publishLoad / recoverLoads run and the warehouse is checked. Fast, so mutation
 * testing can run it for every mutant; publish-crash.test.ts does the same through real kills.
 */

const TABLE = 'orders';
const DEAD = { host: 'gone.example', pid: 4_000_000 };

const spec = (w: Warehouse) => ({ database: w.database, table: TABLE, columns: ['id', 'qty'], key: ['id'] });

async function count(w: Warehouse, from: string, where = '1'): Promise<number> {
  const { rows } = await w.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${from} WHERE ${where}`);
  return Number(rows[0]!.n);
}

const landing = (w: Warehouse) => qualified(w.database, TABLE);
const rowsOf = (w: Warehouse, load: LoadRecord) => count(w, landing(w), `_load_id = '${load.load_id}'`);

async function tableNames(w: Warehouse): Promise<string[]> {
  return (await w.listTables(w.database)).map((t) => t.name).sort();
}

/** A finish time written by this test: now, in Unix seconds. */
function finishedNow(record: LoadRecord): void {
  assert.ok(Math.abs(record.finished_at - Date.now() / 1000) < 300, `finished_at ${record.finished_at}`);
}

/** The DELETE mutations issued on landing: one per load deleted, never one more while one is pending. */
async function deletes(w: Warehouse): Promise<number> {
  return count(
    w,
    'system.mutations',
    `database = '${w.database}' AND table = '${TABLE}' AND command LIKE '%DELETE%'`,
  );
}

async function ledgerOf(w: Warehouse, load: LoadRecord): Promise<LoadRecord> {
  const found = (await listLoads(w, {})).find((l) => l.load_id === load.load_id);
  assert.ok(found, `load ${load.load_id} in the ledger`);
  return found;
}

/** A load with `rows` rows in its stage (qty = `qty`), recorded in the ledger with `status`. */
async function staged(
  w: Warehouse,
  rows: number,
  options: { status?: LoadStatus; owner?: { host: string; pid: number }; qty?: string; error?: string } = {},
): Promise<LoadRecord> {
  const loadId = randomUUID();
  const stage = stageTableName(TABLE, loadId);
  const stamp = {
    merchant: 'm1',
    loadId,
    sourceFile: 'orders.csv',
    loadedAt: 1_700_000_000,
    version: BigInt(Date.now()),
  };
  await w.command(createStageSql(spec(w), stage, stamp));
  if (rows > 0)
    await w.command(
      `INSERT INTO ${qualified(w.database, stage)} (id, qty, _line) SELECT toString(number), '${options.qty ?? '1'}', number + 2 FROM system.numbers LIMIT ${rows}`,
    );
  const record: LoadRecord = {
    ...newLoadRecord({
      load_id: loadId,
      source: 'orders',
      merchant: 'm1',
      landing_table: TABLE,
      location: 'orders.csv',
      archive_path: '',
      sha256: 'ab',
      bytes: 10,
      rows_read: rows,
      rows_loaded: rows,
      rows_rejected: 0,
      started_at: Date.now() / 1000,
    }),
    ...(options.owner ?? {}),
    status: options.status ?? 'running',
    error: options.error ?? '',
  };
  await writeLoadRecord(w, record);
  return record;
}

/** What a cut ATTACH leaves: some of the stage's rows already in landing. */
async function partlyAttached(w: Warehouse, load: LoadRecord, modulo: number): Promise<void> {
  const stage = qualified(w.database, stageTableName(TABLE, load.load_id));
  await w.command(`INSERT INTO ${landing(w)} SELECT * FROM ${stage} WHERE _line % ${modulo} = 0`);
}

/** The real warehouse, with `command` failing for statements matching `pattern` (`after`: once run). */
function faulty(w: Warehouse, pattern: RegExp, options: { times?: number; after?: boolean } = {}): Warehouse {
  let left = options.times ?? Number.POSITIVE_INFINITY;
  return new Proxy(w, {
    get(target, property) {
      if (property === 'command')
        return async (sql: string, ...rest: unknown[]) => {
          const fail = pattern.test(sql) && left-- > 0;
          if (fail && !options.after) throw new Error(`injected failure before: ${sql.slice(0, 60)}`);
          await (target.command as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
          if (fail) throw new Error(`injected failure after: ${sql.slice(0, 60)}`);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function recorder() {
  const events: DemaEvent[] = [];
  return { events, reporter: { emit: (event: DemaEvent) => void events.push(event) } };
}

const recovered = (events: DemaEvent[]) =>
  events.flatMap((e) => (e.type === 'load.recovered' ? [[e.loadId, e.outcome]] : []));

for (const transport of ['embedded', 'server'] as const) {
  const open = async (t: TestContext) => {
    const w = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
    await w.command(createLedgerSql(w.database));
    await w.command(createLandingSql(spec(w)));
    return w;
  };
  const skip = transport === 'server' ? await serverSkipReason() : false;

  test(`${transport}: publishLoad attaches the whole stage, records success, drops the stage; earlier rows stay`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const earlier = await staged(w, 7, { qty: '5' });
    await publishLoad(w, earlier);
    const load = await staged(w, 40);
    const done = await publishLoad(w, load);
    assert.equal(done.status, 'success');
    finishedNow(done);
    finishedNow(await ledgerOf(w, load));
    assert.equal(await rowsOf(w, load), 40);
    assert.equal(await rowsOf(w, earlier), 7);
    assert.equal((await ledgerOf(w, load)).status, 'success');
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
  });

  test(`${transport}: publishLoad of an empty load records success with nothing attached`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 0);
    assert.equal((await publishLoad(w, load)).status, 'success');
    assert.equal((await ledgerOf(w, load)).status, 'success');
    assert.equal(await count(w, landing(w)), 0);
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
  });

  test(`${transport}: publishLoad never commits without the lock`, { skip }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 5);
    const lost = new DemaError('WAREHOUSE_LOCKED', 'lost the lock');
    const unlocked = new Proxy(w, {
      get: (target, property) =>
        property === 'checkLock' ? async () => Promise.reject(lost) : Reflect.get(target, property, target),
    });
    assert.equal(await refusal(publishLoad(unlocked, load)), lost);
    assert.equal((await ledgerOf(w, load)).status, 'running');
    assert.equal(await count(w, landing(w)), 0);
  });

  test(`${transport}: an ATTACH whose answer is lost is rolled forward in-process to exactly one copy`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 30);
    const done = await publishLoad(faulty(w, /ATTACH PARTITION/, { times: 1, after: true }), load);
    assert.equal(done.status, 'success');
    finishedNow(done);
    finishedNow(await ledgerOf(w, load));
    assert.equal(await deletes(w), 1);
    assert.equal(await rowsOf(w, load), 30);
    assert.equal((await ledgerOf(w, load)).status, 'success');
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
  });

  test(`${transport}: a stage that cannot be dropped does not fail a published load; the next recovery drops it`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 3);
    assert.equal((await publishLoad(faulty(w, /^DROP TABLE/), load)).status, 'success');
    assert.equal((await ledgerOf(w, load)).status, 'success');
    assert.ok((await tableNames(w)).includes(stageTableName(TABLE, load.load_id)));
    const { events, reporter } = recorder();
    await recoverLoads(w, reporter);
    assert.deepEqual(recovered(events), []);
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
    assert.equal(await rowsOf(w, load), 3);
  });

  test(`${transport}: a publish that keeps failing after the commit stays publishing, and the next command completes it`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 20);
    const error = await refusal(publishLoad(faulty(w, /ATTACH PARTITION/), load));
    assert.equal(error.code, 'INGEST_PUBLISH_PENDING');
    assert.match(
      error.message,
      new RegExp(`Load ${load.load_id} of "orders" was committed.*injected failure`),
    );
    assert.match(error.hint ?? '', /the next dema command on this warehouse completes it/);
    assert.match(String((error.cause as Error).message), /^injected failure before: ALTER TABLE/);
    const pending = await ledgerOf(w, load);
    assert.equal(pending.status, 'publishing');
    assert.equal(await rowsOf(w, load), 0);
    // This process's own unfinished load is left alone (with its stage)...
    await recoverLoads(w, recorder().reporter);
    assert.equal((await ledgerOf(w, load)).status, 'publishing');
    assert.ok((await tableNames(w)).includes(stageTableName(TABLE, load.load_id)));
    // ...and completed once its process is gone.
    await writeLoadRecord(w, { ...pending, ...DEAD });
    const { events, reporter } = recorder();
    await recoverLoads(w, reporter);
    assert.deepEqual(recovered(events), [[load.load_id, 'published']]);
    assert.equal((await ledgerOf(w, load)).status, 'success');
    assert.equal(await rowsOf(w, load), 20);
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
  });

  test(`${transport}: recovery rolls a committed load cut mid-ATTACH forward to exactly the whole load`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const older = await staged(w, 50, { qty: 'old' });
    await publishLoad(w, older);
    const load = await staged(w, 50, { status: 'publishing', owner: DEAD, qty: 'new' });
    await partlyAttached(w, load, 3);
    assert.equal(await rowsOf(w, load), 17);
    const { events, reporter } = recorder();
    await recoverLoads(w, reporter);
    assert.deepEqual(recovered(events), [[load.load_id, 'published']]);
    assert.equal(await rowsOf(w, load), 50);
    const finished = await ledgerOf(w, load);
    assert.equal(finished.status, 'success');
    finishedNow(finished);
    assert.equal(await deletes(w), 1, 'one DELETE, waited for, not repeated');
    assert.equal(await count(w, `${landing(w)} FINAL`, "qty = 'new'"), 50);
    assert.deepEqual(await tableNames(w), ['_dema_loads', TABLE]);
    // Idempotent: a second recovery finds nothing to do.
    await recoverLoads(w, reporter);
    assert.equal(events.length, 1);
    assert.equal(await rowsOf(w, load), 50);
  });

  test(`${transport}: a committed load whose stage is gone fails when none of it reached landing, else stops with a hint`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const never = await staged(w, 8, { status: 'publishing', owner: DEAD });
    await w.command(`DROP TABLE ${qualified(w.database, stageTableName(TABLE, never.load_id))}`);
    const { events, reporter } = recorder();
    await recoverLoads(w, reporter);
    assert.deepEqual(recovered(events), [[never.load_id, 'failed']]);
    const failed = await ledgerOf(w, never);
    assert.deepEqual([failed.status, failed.error], ['failed', 'failed before it was published']);
    // An empty committed load needs no stage: it completes.
    const empty = await staged(w, 0, { status: 'publishing', owner: DEAD });
    await w.command(`DROP TABLE ${qualified(w.database, stageTableName(TABLE, empty.load_id))}`);
    await recoverLoads(w, reporter);
    assert.deepEqual(recovered(events).at(-1), [empty.load_id, 'published']);
    assert.equal((await ledgerOf(w, empty)).status, 'success');
    // In-process too: a publish whose stage vanished before its ATTACH ends failed, not success.
    const vanished = await staged(w, 5);
    await w.command(`DROP TABLE ${qualified(w.database, stageTableName(TABLE, vanished.load_id))}`);
    assert.equal((await publishLoad(w, vanished)).status, 'failed');
    assert.equal((await ledgerOf(w, vanished)).status, 'failed');

    const cut = await staged(w, 8, { status: 'publishing', owner: DEAD });
    await partlyAttached(w, cut, 2);
    await w.command(`DROP TABLE ${qualified(w.database, stageTableName(TABLE, cut.load_id))}`);
    const error = await refusal(recoverLoads(w, reporter));
    assert.equal(error.code, 'INGEST_LOAD');
    assert.match(error.message, /is marked publishing but its stage table _dema_stage_orders_\w+ is gone/);
    assert.match(error.hint ?? '', new RegExp(`DELETE WHERE _load_id = '${cut.load_id}'.*--force`));
    assert.equal((await ledgerOf(w, cut)).status, 'publishing');
    assert.equal(await rowsOf(w, cut), 4);
  });

  test(`${transport}: recovery undoes an uncommitted load (rows and stage), keeps other rows, sweeps stray stages`, {
    skip,
  }, async (t) => {
    const w = await open(t);
    const kept = await staged(w, 6);
    await publishLoad(w, kept);
    const cut = await staged(w, 12, { owner: DEAD });
    await partlyAttached(w, cut, 2);
    const failing = await staged(w, 4, { owner: DEAD, error: 'over its error budget' });
    const mine = await staged(w, 9);
    await w.command(`CREATE TABLE ${qualified(w.database, '_dema_stage_stray')} (a String) ENGINE = Log`);
    await w.command(`CREATE TABLE ${qualified(w.database, 'not_a_stage')} (a String) ENGINE = Log`);
    const { events, reporter } = recorder();
    await recoverLoads(w, reporter);
    assert.deepEqual(
      recovered(events).sort(),
      [
        [cut.load_id, 'failed'],
        [failing.load_id, 'failed'],
      ].sort(),
    );
    assert.equal(await rowsOf(w, cut), 0);
    assert.equal(await rowsOf(w, kept), 6);
    const undone = await ledgerOf(w, cut);
    assert.deepEqual(
      [undone.status, undone.error],
      ['failed', 'interrupted: the loading process ended before the load finished'],
    );
    finishedNow(undone);
    assert.equal(await deletes(w), 1, 'no DELETE for a load with no row in landing');
    assert.deepEqual(
      [(await ledgerOf(w, failing)).status, (await ledgerOf(w, failing)).error],
      ['failed', 'over its error budget'],
    );
    assert.equal((await ledgerOf(w, mine)).status, 'running');
    assert.deepEqual(
      await tableNames(w),
      ['_dema_loads', stageTableName(TABLE, mine.load_id), 'not_a_stage', TABLE].sort(),
    );
  });

  test(`${transport}: a DELETE still pending (a killed recovery's own) is waited for, never issued again`, {
    // On chDB the DELETE itself does not return while merges are stopped: no pending state to build.
    skip: skip || (transport === 'embedded' && 'no pending DELETE can be built on chDB'),
  }, async (t) => {
    const w = await open(t);
    const load = await staged(w, 10, { status: 'publishing', owner: DEAD });
    await partlyAttached(w, load, 1);
    // Merges stopped: the killed recovery's DELETE stays pending, its rows still there.
    await w.command(`SYSTEM STOP MERGES ${landing(w)}`);
    await w.command(`ALTER TABLE ${landing(w)} DELETE WHERE _load_id = '${load.load_id}'`);
    let finished = false;
    const deleting = deleteLoadRows(w, TABLE, load.load_id).then(() => (finished = true));
    await new Promise((done) => setTimeout(done, 1000));
    assert.equal(finished, false, 'waits while the DELETE is pending');
    assert.equal(await deletes(w), 1, 'and issues none of its own');
    await w.command(`SYSTEM START MERGES ${landing(w)}`);
    await deleting;
    assert.equal(await rowsOf(w, load), 0);
    assert.equal(await deletes(w), 1);
  });

  test(`${transport}: recovery on a warehouse never loaded into does nothing; deleting from a missing table is a no-op`, {
    skip,
  }, async (t) => {
    const w = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
    await w.command(`CREATE DATABASE IF NOT EXISTS ${w.database}`);
    await recoverLoads(w, recorder().reporter);
    await deleteLoadRows(w, 'no_such_table', 'x');
    assert.deepEqual(await tableNames(w), []);
  });
}
