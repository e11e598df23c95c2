import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnObject } from '../../src/dbt/compile/context-adapter.ts';

/**
 * Columns as dbt-clickhouse's ClickHouseColumn: dtype drops a top-level LowCardinality(…) and then
 * Nullable(…) (dbt_expectations' of_type and codegen compare it), data_type keeps ClickHouse's type.
 */
test('column dtype is the ClickHouse type without its LowCardinality/Nullable wrappers', () => {
  const cases: [string, string][] = [
    ['Int32', 'Int32'],
    ['Nullable(String)', 'String'],
    ['LowCardinality(String)', 'String'],
    ['LowCardinality(Nullable(String))', 'String'],
    ['Nullable(Decimal(10, 2))', 'Decimal(10, 2)'],
    ["DateTime('UTC')", "DateTime('UTC')"],
    ["Nullable(Enum8('a' = 1, 'b' = 2))", "Enum8('a' = 1, 'b' = 2)"],
    // Only the outer wrappers: inner Nullables and Nullable(LowCardinality(…)) orderings stay.
    ['Array(Nullable(String))', 'Array(Nullable(String))'],
    ['Nullable(LowCardinality(String))', 'LowCardinality(String)'],
  ];
  for (const [type, dtype] of cases) {
    const column = columnObject({ name: 'c', type });
    assert.equal(column.dtype, dtype, type);
    assert.equal(column.data_type, type, type);
  }
  const nullableInt = columnObject({ name: 'n', type: 'LowCardinality(Nullable(Int64))' });
  assert.ok(nullableInt.is_integer() && nullableInt.is_number() && !nullableInt.is_string());
  assert.equal(columnObject({ name: 's', type: 'Nullable(FixedString(3))' }).string_size(), 3);
});
