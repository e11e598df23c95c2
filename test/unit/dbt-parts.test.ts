import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv } from '../../src/csv-text.ts';
import { injectCtes } from '../../src/dbt/compile/inject-ctes.ts';
import { inferSeedTypes } from '../../src/dbt/materialize/seed.ts';
import { nameGenericTest, normaliseTestEntry } from '../../src/dbt/parser/generic-tests.ts';
import { freshnessStatus } from '../../src/dbt/run/freshness.ts';

test('ephemeral CTEs go after a leading WITH, or in a new WITH, past leading comments', () => {
  assert.equal(injectCtes('select 1', ['a as (x)']), 'with a as (x)\nselect 1');
  assert.equal(
    injectCtes('-- note\nWITH b as (y) select 1', ['a as (x)']),
    '-- note\nWITH a as (x),\nb as (y) select 1',
  );
  assert.equal(
    injectCtes('/* c */ select 1', ['a as (x)', 'b as (y)']),
    '/* c */ with a as (x),\nb as (y)\nselect 1',
  );
});

test('generic test names and ids follow dbt', () => {
  const unique = nameGenericTest(normaliseTestEntry('unique', 'x'), 'orders', false, 'order_id');
  assert.equal(unique.fullName, 'unique_orders_order_id');
  const accepted = nameGenericTest(
    normaliseTestEntry({ accepted_values: { values: ['placed', 'shipped'] } }, 'x'),
    'orders',
    false,
    'status',
  );
  assert.equal(accepted.fullName, 'accepted_values_orders_status__placed__shipped');
  const relation = nameGenericTest(
    normaliseTestEntry({ relationships: { to: "ref('customers')", field: 'id' } }, 'x'),
    'orders',
    false,
    'customer_id',
  );
  assert.equal(relation.fullName, 'relationships_orders_customer_id__id__ref_customers_');
  const source = nameGenericTest(normaliseTestEntry('not_null', 'x'), 'raw_orders', true, 'id');
  assert.equal(source.fullName, 'source_not_null_raw_orders_id');
  const long = nameGenericTest(
    normaliseTestEntry(
      {
        'dbt_utils.unique_combination_of_columns': {
          combination_of_columns: ['merchant', 'order_id', 'product_id', 'ordered_at'],
        },
      },
      'x',
    ),
    'stg_orders',
    false,
  );
  assert.equal(
    long.fullName,
    'dbt_utils_unique_combination_of_columns_stg_orders_merchant__order_id__product_id__ordered_at',
  );
  assert.match(long.alias, /^dbt_utils_unique_combination_o_[0-9a-f]{32}$/);
  assert.match(unique.uniqueIdSuffix, /^[0-9a-f]{10}$/);
});

test('test entries: legacy top-level args, arguments:, config:, name: and namespaces', () => {
  assert.deepEqual(
    normaliseTestEntry({ accepted_values: { values: [1], severity: 'warn', quote: false } }, 'x'),
    {
      name: 'accepted_values',
      kwargs: { values: [1], quote: false },
      config: { severity: 'warn' },
    },
  );
  assert.deepEqual(
    normaliseTestEntry(
      {
        'dbt_utils.accepted_range': {
          arguments: { min_value: 0 },
          config: { where: 'x > 1' },
          name: 'positive',
        },
      },
      'x',
    ),
    {
      name: 'accepted_range',
      namespace: 'dbt_utils',
      kwargs: { min_value: 0 },
      config: { where: 'x > 1' },
      customName: 'positive',
    },
  );
  assert.throws(() => normaliseTestEntry({ a: {}, b: {} }, 'models/s.yml:3'), { code: 'PARSE_YAML' });
});

test('seed CSV parsing and dbt-clickhouse type inference', () => {
  const [header, ...rows] = parseCsv(
    'id,name,when,score,flag,at\r\n1,"a, b",2023-01-02,1.5,true,2023-01-02 10:00:00\n2,"say ""hi""",2023-01-03,,false,2023-01-02T10:00:00Z\n',
  );
  assert.deepEqual(rows[1]![1], 'say "hi"');
  assert.deepEqual(
    inferSeedTypes(rows, header!, { flag: 'UInt8' }).map((c) => c.type),
    ['Int32', 'String', 'Date', 'Nullable(Float32)', 'UInt8', 'DateTime'],
    'an empty cell makes its column Nullable',
  );
  assert.deepEqual(
    inferSeedTypes(rows, header!, {}, false).map((c) => c.type),
    ['Int32', 'String', 'Date', 'Float32', 'Bool', 'DateTime'],
    'infer_nullable: false keeps dbt-clickhouse types',
  );
  assert.deepEqual(
    inferSeedTypes([['', '1']], ['empty', 'n'], {}).map((c) => c.type),
    ['Nullable(String)', 'Int32'],
  );
  assert.deepEqual(inferSeedTypes([['3000000000']], ['big'], {}), [{ name: 'big', type: 'Int64' }]);
});

test('source freshness: error_after before warn_after; never loaded is infinitely old', () => {
  const criteria = {
    warn_after: { count: 12, period: 'hour' as const },
    error_after: { count: 1, period: 'day' as const },
  };
  assert.equal(freshnessStatus(3600, criteria), 'pass');
  assert.equal(freshnessStatus(13 * 3600, criteria), 'warn');
  assert.equal(freshnessStatus(25 * 3600, criteria), 'error');
  assert.equal(freshnessStatus(null, criteria), 'error');
  assert.equal(freshnessStatus(null, {}), 'pass');
});
