import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RelationCache } from '../../src/dbt/compile/relation-cache.ts';
import type { DbtNode } from '../../src/dbt/manifest/types.ts';
import { materializeSnapshot } from '../../src/dbt/materialize/snapshot.ts';
import { quoteString } from '../../src/warehouse/sql.ts';
import { failingAt, publishes } from '../helpers/faulty-warehouse.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';

// The publish invariant for snapshots, at every write (as dbt-seed-atomic does for seeds): a run
// failing before or at the swap leaves the live snapshot absent (first run) or exactly as it was;
// one failing after it (a helper's drop) leaves the complete new history. No helper remains except
// one whose own drop was the failing write. The later run changes a row, deletes one (new_record),
// adds one and a column, so the staging, history, versions, deletions and ALTER writes all fail once.

const FIRST =
  "select toInt32(1) as id, 'a' as v, toDateTime('2024-01-01 00:00:00') as u union all select toInt32(2), 'b', toDateTime('2024-01-01 00:00:00')";
const LATER =
  "select toInt32(1) as id, 'a2' as v, toDateTime('2024-02-01 00:00:00') as u, 'x' as extra union all select toInt32(3), 'c', toDateTime('2024-02-01 00:00:00'), 'y'";

test('a snapshot failing at each of its writes in turn leaves the live snapshot absent, unchanged or complete', async (t) => {
  const warehouse = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  const schema = warehouse.database;
  // The times of deletion rows are the run's now(): the dump keeps what does not depend on the clock.
  const dump = async () => {
    const { rows } = await warehouse.query(
      `select name from system.tables where database = ${quoteString(schema)} and name = 'snap'`,
    );
    if (rows.length === 0) return 'absent';
    const columns = (await warehouse.listColumns(schema, 'snap')).map((c) => c.name);
    const extra = columns.includes('extra') ? "ifNull(extra, '-')" : "'-'";
    return warehouse.queryText(
      `select id, v, ${extra}, dbt_valid_to is null, dbt_is_deleted from ${schema}.snap order by id, v, dbt_is_deleted`,
      'TabSeparated',
    );
  };
  const helpers = async () =>
    (
      await warehouse.query<{ n: string }>(
        `select name as n from system.tables where database = ${quoteString(schema)} and name like 'snap\\_\\_dbt\\_%'`,
      )
    ).rows.map((r) => r.n);
  const take = async (sql: string, failAt = 0) => {
    const seen: string[] = [];
    const wrapped = failingAt(warehouse, failAt, seen);
    const cache = new RelationCache(wrapped);
    await cache.load([schema]);
    const node = {
      uniqueId: 'snapshot.p.snap',
      name: 'snap',
      resourceType: 'snapshot',
      schema,
      alias: 'snap',
      relationName: `\`${schema}\`.\`snap\``,
      originalFilePath: 'snapshots/snap.yml',
      config: { strategy: 'timestamp', unique_key: 'id', updated_at: 'u', hard_deletes: 'new_record' },
    } as unknown as DbtNode;
    const env = {
      warehouse: wrapped,
      cache,
      invocationId: '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      fullRefresh: false,
    };
    const error = await materializeSnapshot(node, sql, env).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    return { seen, error };
  };
  let points = 0;
  for (const phase of ['first', 'later'] as const) {
    const reset = async () => {
      await warehouse.command(`drop table if exists ${schema}.snap`);
      if (phase === 'later') assert.equal((await take(FIRST)).error, undefined);
    };
    await reset();
    const before = await dump();
    const clean = await take(phase === 'first' ? FIRST : LATER);
    assert.equal(clean.error, undefined);
    const complete = await dump();
    assert.notEqual(complete, before);
    for (let failAt = 1; failAt <= clean.seen.length; failAt++) {
      await reset();
      const { seen, error } = await take(phase === 'first' ? FIRST : LATER, failAt);
      const failing = seen[failAt - 1]!;
      const published = seen.slice(0, failAt - 1).some((sql) => publishes(sql, 'snap'));
      if (!published) assert.ok(error, `${phase}, write ${failAt} (${failing}) must fail the run`);
      assert.equal(
        await dump(),
        published ? complete : before,
        `${phase}, failing write ${failAt}: ${failing.split('\n')[0]}`,
      );
      const left = await helpers();
      const ownDrop = /^drop table/.test(failing) ? 1 : 0;
      assert.ok(left.length <= ownDrop, `${phase}, write ${failAt}: helpers left ${left.join(', ')}`);
      for (const name of left) await warehouse.command(`drop table if exists ${schema}.\`${name}\``);
      points++;
    }
  }
  assert.ok(points >= 12, `${points} fault points`);
  t.diagnostic(`${points} fault points`);
});
