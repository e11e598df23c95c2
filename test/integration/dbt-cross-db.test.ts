import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { TargetConfig } from '../../src/config/dema-config.ts';
import { identityOf } from '../../src/dbt/compile/compile-node.ts';
import { createScope, newRenderState, type ProjectContext } from '../../src/dbt/compile/context.ts';
import { RelationCache } from '../../src/dbt/compile/relation-cache.ts';
import { compileTemplate } from '../../src/dbt/jinja/environment.ts';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { serverAvailable, tempDir, testTarget, writeFiles } from '../helpers/fixtures.ts';

/**
 * dbt-core's cross-database macros, each rendered through `dbt.<name>` and run in chDB (and on the
 * server, bar what 18.16 lacks), compared with the value the macro's documentation gives
 * (docs.getdbt.com cross-database-macros).
 */

// Written without values() / WITH, so the same cases run on an 18.16 server.
const TABLE =
  "(select toInt32(1) as id, 'b' as name, 1 as grp union all select toInt32(2), 'a', 1 union all select toInt32(3), 'c', 2)";

/** Cases an 18.16 server cannot run: functions and types it lacks (and it prints NULL otherwise). */
const SERVER_LACKS = /safe_cast|type_boolean|cast_bool_to_text\('NULL'\)|intersect|except/;

/** [Jinja expression, SQL wrapper (`$` = the rendered macro), expected first-row value as text]. */
const CASES: [string, string, string][] = [
  ["dbt.any_value('x')", `select $ from (select 7 as x)`, '7'],
  ["dbt.bool_or('x > 2')", `select toUInt8($) from (select number as x from numbers(4))`, '1'],
  ["dbt.bool_or('x > 5')", `select toUInt8($) from (select number as x from numbers(4))`, '0'],
  ['dbt.cast("\'42\'", dbt.type_int())', 'select toString($)', '42'],
  ['dbt.cast("\'1.5\'", dbt.type_float())', 'select toString($)', '1.5'],
  ["dbt.safe_cast(\"'abc'\", 'Nullable(Int32)')", 'select toString($)', '\\N'],
  ['dbt.safe_cast("\'12\'", dbt.type_bigint())', 'select toString($)', '12'],
  ["dbt.cast_bool_to_text('1 = 1')", 'select $', 'true'],
  ["dbt.cast_bool_to_text('1 = 0')", 'select $', 'false'],
  ["dbt.cast_bool_to_text('NULL')", 'select toString($)', '\\N'],
  ['dbt.concat(["\'a\'", "\'b\'", "\'c\'"])', 'select $', 'abc'],
  ['dbt.hash("\'abc\'")', 'select $', '900150983cd24fb0d6963f7d28e17f72'],
  ['dbt.length("\'héllo\'")', 'select $', '5'],
  ['dbt.position("\'l\'", "\'hello\'")', 'select $', '3'],
  ['dbt.position("\'z\'", "\'hello\'")', 'select $', '0'],
  ['dbt.replace("\'a-b-c\'", "\'-\'", "\'+\'")', 'select $', 'a+b+c'],
  ['dbt.right("\'abcdef\'", 2)', 'select $', 'ef'],
  ['dbt.right("\'abc\'", 0)', "select concat('[', $, ']')", '[]'],
  ['dbt.right("\'abc\'", 5)', 'select $', 'abc'],
  ['dbt.split_part("\'a,b,c\'", "\',\'", 2)', 'select $', 'b'],
  ['dbt.split_part("\'a,b,c\'", "\',\'", -1)', 'select $', 'c'],
  ["dbt.string_literal('it')", 'select $', 'it'],
  ['dbt.string_literal(dbt.escape_single_quotes("it\'s"))', 'select $', "it's"],
  ['dbt.current_timestamp()', "select toUInt8(dateDiff('second', $, now()) < 60)", '1'],
  ["dbt.date_trunc('month', \"toDate('2024-02-17')\")", 'select toDate($)', '2024-02-01'],
  ["dbt.date_trunc('week', \"toDate('2024-02-17')\")", 'select toDate($)', '2024-02-12'],
  ["dbt.date_trunc('quarter', \"toDate('2024-02-17')\")", 'select toDate($)', '2024-01-01'],
  [
    "dbt.date_trunc('hour', \"toDateTime('2024-02-17 10:31:02')\")",
    'select toString($)',
    '2024-02-17 10:00:00',
  ],
  [
    "dbt.dateadd('hour', 5, \"toDateTime('2024-02-17 22:00:00')\")",
    'select toString($)',
    '2024-02-18 03:00:00',
  ],
  ["dbt.dateadd('day', 3, \"toDate('2024-02-27')\")", 'select toDate($)', '2024-03-01'],
  ["dbt.dateadd('month', -1, \"toDate('2024-03-31')\")", 'select toDate($)', '2024-02-29'],
  ["dbt.datediff(\"toDate('2024-01-01')\", \"toDate('2024-03-01')\", 'day')", 'select $', '60'],
  ["dbt.datediff(\"toDate('2024-01-31')\", \"toDate('2024-03-01')\", 'month')", 'select $', '2'],
  // A quoted literal is a date, as on other warehouses (dbt_expectations' every_n_datepart passes one).
  ["dbt.datediff(\"'2024-01-01'\", \"toDate('2024-03-01')\", 'day')", 'select $', '60'],
  ["dbt.datediff(\"toDate('2024-01-31')\", \"'2024-03-01 10:00:00'\", 'month')", 'select $', '2'],
  ["dbt.datediff(\"'2024-01-01'\", \"'2024-01-02 06:00:00'\", 'hour')", 'select $', '30'],
  ["dbt.last_day(\"toDate('2024-02-10')\", 'month')", 'select $', '2024-02-29'],
  ["dbt.last_day(\"toDate('2024-02-10')\", 'quarter')", 'select $', '2024-03-31'],
  ["dbt.last_day(\"toDate('2024-02-10')\", 'year')", 'select $', '2024-12-31'],
  ['dbt.date(2024, 3, 9)', 'select $', '2024-03-09'],
  ['dbt.date(2024, 11, 30)', 'select $', '2024-11-30'],
  ["dbt.equals('NULL', 'NULL')", 'select toUInt8($)', '1'],
  ["dbt.equals('1', 'NULL')", 'select toUInt8(ifNull($, 0))', '0'],
  ["dbt.array_construct(['1', '2'])", 'select toString($)', '[1,2]'],
  ["dbt.array_construct([], 'Int32')", 'select toString($)', '[]'],
  ["dbt.array_append(dbt.array_construct(['1']), '2')", 'select toString($)', '[1,2]'],
  [
    "dbt.array_concat(dbt.array_construct(['1']), dbt.array_construct(['2', '3']))",
    'select toString($)',
    '[1,2,3]',
  ],
  ["dbt.array_agg('id')", `select toString(arraySort($)) from ${TABLE}`, '[1,2,3]'],
  ["dbt.listagg('name', \"', '\", 'order by id')", `select $ from ${TABLE}`, 'b, a, c'],
  ["dbt.listagg('name', \"'|'\", 'order by name desc')", `select $ from ${TABLE}`, 'c|b|a'],
  ["dbt.listagg('name', \"','\", 'order by name', 2)", `select $ from ${TABLE}`, 'a,b'],
  ["dbt.listagg('name', \"''\", 'order by id')", `select $ from ${TABLE} where grp = 1`, 'ba'],
  [
    "dbt.listagg('v', \"','\", 'order by k')",
    "select $ from (select toNullable('a') as v, 2 as k union all select NULL, 1 union all select 'b', 0)",
    'b,a',
  ],
  ['dbt.type_string()', "select toTypeName(CAST('x' AS $))", 'String'],
  ['dbt.type_timestamp()', "select toTypeName(CAST('2024-01-01 00:00:00' AS $))", 'DateTime'],
  ['dbt.type_bigint()', 'select toTypeName(CAST(1 AS $))', 'Int64'],
  ['dbt.type_numeric()', 'select toTypeName(CAST(1 AS $))', 'Decimal(28, 6)'],
  ['dbt.type_boolean()', 'select toTypeName(CAST(1 AS $))', 'Bool'],
  [
    "'select number as n from numbers(3) ' ~ dbt.intersect() ~ ' select toUInt64(2)'",
    'select toString(groupArray(n)) from ($)',
    '[2]',
  ],
  [
    "'select number as n from numbers(3) ' ~ dbt.except() ~ ' select toUInt64(1)'",
    'select toString(arraySort(groupArray(n))) from ($)',
    '[0,2]',
  ],
  [
    "dbt.date_spine('day', \"toDate('2024-02-27')\", \"toDate('2024-03-02')\")",
    'select toString(groupArray(toDate(date_day))) from ($)',
    "['2024-02-27','2024-02-28','2024-02-29','2024-03-01']",
  ],
  ['dbt.generate_series(3)', 'select toString(groupArray(generated_number)) from ($)', '[1,2,3]'],
  ['dbt.get_powers_of_two(9)', 'select $', '4'],
  ["dbt.get_intervals_between(\"toDate('2024-01-01')\", \"toDate('2024-01-08')\", 'day')", 'select $', '7'],
  // Plain names resolve to the same macros (dbt's global namespace).
  ["listagg('name', \"','\", 'order by id')", `select $ from ${TABLE}`, 'b,a,c'],
  ['right("\'abc\'", 1)', 'select $', 'c'],
];

async function runCases(t: TestContext, target: TargetConfig, cases: typeof CASES): Promise<string[]> {
  const dir = tempDir(t);
  writeFiles(dir, {
    'dbt_project.yml': 'name: xdb\nprofile: xdb\n',
    'models/m.sql': 'select 1 as id\n',
  });
  const parsed = parseProject({ projectDir: dir, target: { schema: 'xdb', name: 'dev', type: 'chdb' } });
  const warehouse = await connectWarehouse(target);
  t.after(() => warehouse.close());
  const context: ProjectContext = {
    ...parsed.context,
    runtime: { warehouse, cache: new RelationCache(warehouse) },
  };
  const node = parsed.manifest.nodes.get('model.xdb.m')!;
  const failures: string[] = [];
  for (const [expression, wrapper, expected] of cases) {
    const scope = createScope(context, newRenderState(identityOf(node), true));
    let sql = '';
    try {
      sql = wrapper.replace('$', compileTemplate(`{{ ${expression} }}`, 'case.sql').render(scope).trim());
      const text = (await warehouse.queryText(sql, 'TSVRaw')).split('\n')[0];
      if (text !== expected) failures.push(`${expression}: got ${text}, expected ${expected}\n  ${sql}`);
    } catch (error) {
      failures.push(`${expression}: ${(error as Error).message}\n  ${sql}`);
    }
  }
  return failures;
}

test('dbt cross-database macros give the documented values in chDB', async (t) => {
  const dir = tempDir(t);
  const failures = await runCases(t, { type: 'chdb', path: join(dir, 'warehouse'), schema: 'xdb' }, CASES);
  assert.deepEqual(failures, []);
});

test('dbt cross-database macros give the same values on the ClickHouse server', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const target = { ...testTarget('server', tempDir(t)), schema: 'default' };
  const cases = CASES.filter(([expression]) => !SERVER_LACKS.test(expression));
  assert.deepEqual(await runCases(t, target, cases), []);
});
