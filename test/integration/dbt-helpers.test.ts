import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dropHelpers,
  helperName,
  partitionIds,
  publishPartitions,
} from '../../src/dbt/materialize/publish.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import { openTestWarehouse, serverSkipReason, tempDir, testTarget } from '../helpers/fixtures.ts';

/**
 * The I/O half of dbt's publish protocol (src/dbt/materialize/publish.ts) on chDB: which helper
 * tables a cleanup drops, and which partitions a helper's publish moves.
 */

const A = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const B = 'ffffffff-0000-1111-2222-333333333333';

test('dropHelpers: an invocation drops only its own helpers; a cleanup drops every helper, in the schemas given only', async (t) => {
  const w = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  const tables: Record<string, string[]> = {
    s1: [
      helperName('orders', 'tmp', A),
      helperName('orders', 'backup', B),
      'orders',
      'orders__dbt_tmp_short',
    ],
    s2: [helperName('stock', 'new_data', A), 'my__dbt_table'],
    s3: [helperName('other', 'tmp', A)],
  };
  for (const [schema, names] of Object.entries(tables)) {
    await w.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(schema)}`);
    for (const name of names)
      await w.command(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(name)} (a String) ENGINE = Log`);
  }
  const left = async () =>
    (
      await w.query<{ t: string }>(
        "SELECT concat(database, '.', name) AS t FROM system.tables WHERE database IN ('s1', 's2', 's3') ORDER BY t",
      )
    ).rows.map((r) => r.t);
  assert.deepEqual(await dropHelpers(w, []), []);
  assert.deepEqual((await dropHelpers(w, ['s1', 's2', 's1'], A)).sort(), [
    '`s1`.`orders__dbt_tmp_0a1b2c3d4e5f`',
    '`s2`.`stock__dbt_new_data_0a1b2c3d4e5f`',
  ]);
  assert.deepEqual(await left(), [
    's1.orders',
    's1.orders__dbt_backup_ffffffff0000',
    's1.orders__dbt_tmp_short',
    's2.my__dbt_table',
    's3.other__dbt_tmp_0a1b2c3d4e5f',
  ]);
  assert.deepEqual(await dropHelpers(w, ['s1', 's2']), ['`s1`.`orders__dbt_backup_ffffffff0000`']);
  assert.deepEqual(await left(), [
    's1.orders',
    's1.orders__dbt_tmp_short',
    's2.my__dbt_table',
    's3.other__dbt_tmp_0a1b2c3d4e5f',
  ]);
});

test("partitionIds: the helper's partitions that hold rows, in order; publishPartitions moves exactly those", async (t) => {
  const w = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  await w.command('CREATE DATABASE IF NOT EXISTS s');
  for (const name of ['live', 'helper'])
    await w.command(
      `CREATE TABLE s.${name} (m String, v UInt32) ENGINE = MergeTree PARTITION BY m ORDER BY v`,
    );
  const helper = { schema: 's', name: 'helper' };
  const live = { schema: 's', name: 'live' };
  assert.deepEqual(await partitionIds(w, helper), []);
  await w.command("INSERT INTO s.live VALUES ('a', 1), ('c', 1)");
  await w.command("INSERT INTO s.helper VALUES ('b', 2), ('a', 2), ('b', 3)");
  const ids = await partitionIds(w, helper);
  assert.equal(ids.length, 2);
  assert.deepEqual(ids, [...ids].sort());
  for (const statement of publishPartitions(live, helper, ids, 'replace')) await w.command(statement);
  const { rows } = await w.query<{ r: string }>(
    // arraySort: a subquery's ORDER BY does not bind the aggregate's order (ClickHouse may drop it).
    "SELECT arrayStringConcat(arraySort(groupArray(concat(m, toString(v)))), ',') AS r FROM s.live",
  );
  assert.deepEqual(rows, [{ r: 'a2,b2,b3,c1' }]);
});

test('dropHelpers with no schema asks nothing (18.16 refuses an empty IN list)', {
  skip: await serverSkipReason(),
}, async (t) => {
  const w = await openTestWarehouse(t, testTarget('server', tempDir(t)));
  assert.deepEqual(await dropHelpers(w, []), []);
});
