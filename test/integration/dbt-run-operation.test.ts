import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';
import { queryStore } from '../helpers/store.ts';

// `dema run-operation` as dbt's: a macro called with --args as keyword arguments, at execute time,
// its print()/log() output on stdout (with --quiet too), searched root → packages, or package.name.
// codegen (the real package) is the acceptance case: its YAML is checked against ClickHouse's own
// column list. load_result follows dbt-core's ProviderContext.load_result: each result once.

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

const MACROS = `
{% macro greet(who, times=1) %}
  {% set r = run_query("select 40 + " ~ times ~ " as n") %}
  {% do print("hello " ~ who ~ " " ~ r.columns[0].values()[0]) %}
{% endmacro %}

{% macro make_table(name) %}
  {% do run_query("create table " ~ target.schema ~ "." ~ name ~ " engine = MergeTree order by tuple() as select 7 as x") %}
{% endmacro %}

{% macro stored() %}
  {% do store_raw_result('s', message='hi', code='X', rows_affected=3) %}
  {% set r = load_result('s') %}
  {% do print(r['response']['code'] ~ ' ' ~ r['response']['rows_affected'] ~ ' ' ~ r['data'] | length) %}
  {% do store_result('t', response='OK', agate_table=run_query('select 1 as a')) %}
  {% do print(load_result('t')['data'][0][0]) %}
{% endmacro %}

{% macro load_twice() %}
  {% call statement('q', fetch_result=True) %}select 1{% endcall %}
  {% set first = load_result('q') %}
  {% set second = load_result('q') %}
{% endmacro %}

{% macro load_each_run() %}
  {% for n in [1, 2] %}
    {% call statement('q', fetch_result=True) %}select {{ n }}{% endcall %}
    {% do print("got " ~ load_result('q')['data'][0][0]) %}
  {% endfor %}
  {% do print("never stored: " ~ load_result('nothing')) %}
{% endmacro %}
`;

function project(dir: string): Record<string, string> {
  return {
    ...chdbProject('ops', join(dir, 'warehouse')),
    'packages.yml': `packages:\n  - local: ${join(PACKAGES!, 'codegen')}\n  - local: ${join(PACKAGES!, 'dbt_utils')}\n`,
    'models/typed.sql':
      "select toInt32(1) as id, toNullable('a') as name, toDate('2024-01-01') as day, toDecimal64(1.5, 2) as price, ['x'] as tags\n",
    'macros/ops.sql': MACROS,
  };
}

test('run-operation calls root and package macros with --args; codegen output matches the warehouse', {
  skip,
}, async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  assert.equal((await cli('deps')).code, 0);
  assert.equal((await cli('run')).code, 0);

  const greeting = await cli('--quiet', 'run-operation', 'greet', '--args', '{who: bob, times: 2}');
  assert.equal(greeting.code, 0, greeting.stderr);
  assert.equal(greeting.stdout, 'hello bob 42\n', 'print() is the output, kept with --quiet');
  assert.match((await cli('run-operation', 'ops.greet', '--args', '{who: ann}')).stdout, /hello ann 41/);

  const made = await cli('run-operation', 'make_table', '--args', '{name: made}');
  assert.equal(made.code, 0, made.stderr);
  const rows = await queryStore<{ x: number }>(join(dir, 'warehouse'), 'ops', 'select x from ops.made');
  assert.deepEqual(
    rows.map((row) => Number(row.x)),
    [7],
  );

  // codegen, found without its package name and with it: the YAML lists the model's columns as
  // ClickHouse has them (its type without the Nullable wrapper, lower-cased, as dbt-clickhouse's).
  const generated = await cli(
    '--quiet',
    'run-operation',
    'generate_model_yaml',
    '--args',
    '{model_names: [typed]}',
  );
  assert.equal(generated.code, 0, generated.stderr);
  const yaml = parse(generated.stdout) as {
    models: { name: string; columns: { name: string; data_type: string }[] }[];
  };
  const columns = await queryStore<{ name: string; type: string }>(
    join(dir, 'warehouse'),
    'ops',
    "select name, type from system.columns where database = 'ops' and table = 'typed' order by position",
  );
  assert.equal(yaml.models[0]!.name, 'typed');
  assert.deepEqual(
    yaml.models[0]!.columns.map((c) => [c.name, c.data_type]),
    columns.map((c) => [c.name, c.type.replace(/^Nullable\((.*)\)$/, '$1').toLowerCase()]),
  );
  const source = await cli(
    '--quiet',
    'run-operation',
    'codegen.generate_source',
    '--args',
    '{schema_name: ops}',
  );
  const tables = (parse(source.stdout) as { sources: { tables: { name: string }[] }[] }).sources[0]!.tables;
  assert.ok(
    tables.some((table) => table.name === 'typed') && tables.some((table) => table.name === 'made'),
    source.stdout,
  );
});

test('run-operation: load_result gives a result once; unknown macros and non-mapping --args are usage errors (2), a wrong keyword fails the operation (1)', {
  skip,
}, async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, { ...project(dir), 'packages.yml': 'packages: []\n' });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });

  const each = await cli('run-operation', 'load_each_run');
  assert.equal(each.code, 0, each.stderr);
  assert.equal(each.stdout, 'got 1\ngot 2\nnever stored: None\n');
  // store_result / store_raw_result fill what load_result hands out, as dbt's context members.
  const stored = await cli('run-operation', 'stored');
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal(stored.stdout, 'X 3 0\n1\n');
  const twice = await cli('run-operation', 'load_twice');
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /JINJA_RENDER.*statement result named 'q' has already been loaded/);

  const unknown = await cli('run-operation', 'gret');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no macro named "gret"[\s\S]*Did you mean 'greet'/);
  const notMapping = await cli('run-operation', 'greet', '--args', '[1]');
  assert.equal(notMapping.code, 2);
  assert.match(notMapping.stderr, /--args must be a mapping/);
  // Once the macro runs, any failure is a failed operation, exit 1, as dbt's RunOperationTask.
  const wrongArg = await cli('run-operation', 'greet', '--args', '{whom: x}');
  assert.equal(wrongArg.code, 1);
  assert.match(wrongArg.stderr, /no keyword argument 'whom'/);
});

test('run-operation: print() and log() write Python str() of values, --quiet hides log() only, --warn-error applies; a failing macro exits 1 as in dbt', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...project(dir),
    'packages.yml': 'packages: []\n',
    'macros/values.sql': `
{% macro show_values() %}
  {% do print([{'a': 1, 'b': [1, 'x', none, true], 'c': {'d': 1.5}}]) %}
  {% do print(none) %}
  {% do print(true) %}
  {% do print([1, 'two']) %}
{% endmacro %}
{% macro chatty() %}
  {% do log('logged at info', info=True) %}
  {% do print('printed') %}
  {% do exceptions.warn('careful') %}
  {% do log([1, 'two'], info=True) %}
{% endmacro %}
{% macro fails() %}{{ exceptions.raise_compiler_error('kaboom') }}{% endmacro %}
{% macro bad_sql() %}{% do run_query('select * from no_such_table_anywhere') %}{% endmacro %}
`,
  });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const values = await cli('--quiet', 'run-operation', 'show_values');
  assert.equal(values.code, 0, values.stderr);
  // Expected lines are Python 3's print() of the same values.
  assert.equal(
    values.stdout,
    "[{'a': 1, 'b': [1, 'x', None, True], 'c': {'d': 1.5}}]\nNone\nTrue\n[1, 'two']\n",
  );

  // As dbt: print() is output even with --quiet, log(info=True) is a log line --quiet hides, and
  // exceptions.warn is an error with --warn-error (the operation fails).
  const quiet = await cli('--quiet', 'run-operation', 'chatty');
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, 'printed\n');
  const chatty = await cli('run-operation', 'chatty');
  assert.match(chatty.stdout + chatty.stderr, /logged at info[\s\S]*printed/);
  assert.match(chatty.stdout + chatty.stderr, /careful/);
  assert.match(chatty.stdout, /^\[1, 'two'\]$/m, 'log() writes str() of the value');
  const strict = await cli('--warn-error', 'run-operation', 'chatty');
  assert.equal(strict.code, 1, strict.stderr);
  assert.match(strict.stderr, /OPERATION_FAILED.*careful.*JinjaLogWarning/);

  const fails = await cli('run-operation', 'fails');
  assert.equal(fails.code, 1, fails.stderr);
  assert.match(fails.stderr, /OPERATION_FAILED.*running operation fails.*kaboom/);
  const badSql = await cli('run-operation', 'bad_sql');
  assert.equal(badSql.code, 1, badSql.stderr);
  assert.match(badSql.stderr, /OPERATION_FAILED.*no_such_table_anywhere/);
});
