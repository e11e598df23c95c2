import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describableQuery, queryTable } from '../../src/dbt/compile/query-table.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { tempDir } from '../helpers/fixtures.ts';

test('describableQuery: a SELECT / WITH / parenthesised query after comments, without its trailing ;', () => {
  const cases: [string, string | undefined][] = [
    ['select 1', 'select 1'],
    ['\n  -- get the value\n  SELECT x FROM t;\n', 'SELECT x FROM t'],
    ['/* a\n b */ with a as (select 1) select * from a', 'with a as (select 1) select * from a'],
    ['-- one\n/* two */\n(select 1) union all (select 2)', '(select 1) union all (select 2)'],
    ['create table t (x Int32) engine = Memory', undefined],
    ['insert into t select 1', undefined],
    ['selected_rows', undefined],
    ['/* never closed select 1', undefined],
    ['-- only a comment', undefined],
  ];
  for (const [sql, expected] of cases) assert.equal(describableQuery(sql), expected, JSON.stringify(sql));
});

test('an empty result keeps its column names, as agate does (real chDB)', async (t) => {
  const dir = tempDir(t);
  const warehouse = await connectWarehouse({ type: 'chdb', path: join(dir, 'warehouse'), schema: 'q' });
  t.after(() => warehouse.close());
  const empty = queryTable(warehouse, "-- nothing\nselect 1 as n, 'a' as s where 0");
  assert.deepEqual([empty.column_names, empty.rows.length], [['n', 's'], 0]);
  assert.deepEqual([...empty.columns[0]!.values()], []);
  const full = queryTable(warehouse, 'select number as n from numbers(2)');
  assert.deepEqual([full.column_names, [...full.columns[0]!.values()].map(Number)], [['n'], [0, 1]]);
  // Statements and queries DESCRIBE cannot wrap run as before: no rows, no names, no error.
  const created = queryTable(warehouse, 'create table t (x Int32) engine = Memory');
  assert.deepEqual(created.column_names, []);
  const formatted = queryTable(warehouse, 'select x from t format JSONEachRow');
  assert.deepEqual(formatted.column_names, []);
});
