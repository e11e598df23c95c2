import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchingPartitions } from '../../src/dbt/materialize/ddl.ts';
import { boundedKeyColumns, keyBounds } from '../../src/dbt/materialize/key-bounds.ts';

/** Which key columns bound the search for replaced rows, and the SQL of the bounds. */

const columns = [
  { name: 'merchant', type: 'LowCardinality(String)' },
  { name: 'ts', type: "DateTime64(3, 'UTC')" },
  { name: 'day', type: 'Date' },
  { name: 'id', type: 'UInt64' },
  { name: 'amount', type: 'Decimal(38, 4)' },
  { name: 'maybe', type: 'Nullable(String)' },
  { name: 'ratio', type: 'Float64' },
  { name: 'code', type: 'FixedString(3)' },
];

test('bounded: the first two sort columns that are plain key columns of an ordered type', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ unique_key: ['merchant', 'ts', 'id'], order_by: ['merchant', 'ts', 'id'] }, ['merchant', 'ts']],
    [{ unique_key: ['id', 'ts'], order_by: ['ts', 'id'] }, ['ts', 'id']],
    [{ unique_key: 'id, day', order_by: 'day, id' }, ['day', 'id']],
    [{ unique_key: ['id'], order_by: ['ts', 'id'] }, ['id']],
    [{ unique_key: ['amount', 'code'], order_by: ['code', 'amount'] }, ['code', 'amount']],
    // Not in the key, not plain, Nullable (NULL never equal), Float (NaN): never bounded.
    [{ unique_key: ['id'], order_by: ['ts'] }, []],
    [{ unique_key: ['maybe', 'ratio'], order_by: ['maybe', 'ratio'] }, []],
    [{ unique_key: 'toDate(ts), id', order_by: 'toDate(ts), id' }, []],
    [{ unique_key: ['id'], order_by: ['toDate(ts)', 'id'] }, ['id']],
    [{ unique_key: ['missing'], order_by: ['missing'] }, []],
    [{ unique_key: ['id'] }, []],
    [{ order_by: ['id'] }, []],
  ];
  for (const [config, wanted] of cases)
    assert.deepEqual(boundedKeyColumns(config, columns), wanted, JSON.stringify(config));
});

test('the bounds are min..max of the new rows, inside the partition search', () => {
  const newData = { schema: 'dema', name: 'orders__dbt_tmp_abc' };
  const bounds = keyBounds(newData, ['ts']);
  assert.deepEqual(bounds, [
    '`ts` between (select min(`ts`) from `dema`.`orders__dbt_tmp_abc`) and (select max(`ts`) from `dema`.`orders__dbt_tmp_abc`)',
  ]);
  assert.equal(
    matchingPartitions(
      { schema: 'dema', name: 'orders' },
      newData,
      'id, ts',
      { incremental_predicates: ['p'] },
      bounds,
    ),
    `select distinct partition_id from (
select _partition_id as partition_id from \`dema\`.\`orders\`
where cityHash64(id, ts) in (select cityHash64(id, ts) from \`dema\`.\`orders__dbt_tmp_abc\`)
  and ${bounds[0]}
  and (p)
)`,
  );
});
