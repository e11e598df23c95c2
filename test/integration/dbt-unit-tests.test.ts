import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { SERVER_PORT, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt unit tests (dbt-semantics.md §2.7) on chDB: givens replace refs and sources, missing given
// columns are NULL (a non-Nullable type's default, as dbt-clickhouse's safe_cast), rows compare
// order-insensitively with multiplicity, macro (is_incremental, plain and package.name), vars and
// env_vars overrides apply, and an expectation may be rows of SQL. Every expected
// value below is computed by hand from the given rows.

const PROJECT: Record<string, string> = {
  'dbt_project.yml': 'name: ut\nprofile: ut\n',
  'seeds/raw_payments.csv': 'order_id,amount\n1,10\n',
  'models/stg_customers.sql':
    "select toInt32(1) as customer_id, 'ann' as name, cast(NULL as Nullable(String)) as email\n",
  'models/stg_orders.sql':
    "select toInt32(1) as order_id, toInt32(1) as customer_id, toDate('2024-01-01') as ordered_at\n",
  'models/customer_orders.sql': [
    'select c.customer_id as customer_id, count() as orders, sum(p.amount) as paid, any(c.email) as email',
    "from {{ ref('stg_customers') }} as c",
    "join {{ ref('stg_orders') }} as o on o.customer_id = c.customer_id",
    "join {{ source('raw', 'raw_payments') }} as p on p.order_id = o.order_id",
    'where o.ordered_at >= toDate(\'{{ var("since", "2000-01-01") }}\')',
    'group by c.customer_id',
    '',
  ].join('\n'),
  'models/inc_orders.sql': [
    "{{ config(materialized='incremental') }}",
    "select order_id, customer_id from {{ ref('stg_orders') }}",
    '{% if is_incremental() %}where order_id > (select max(order_id) from {{ this }}){% endif %}',
    '',
  ].join('\n'),
  'tests/fixtures/more/payments.csv': 'order_id,amount\n10,5\n11,7\n12,1\n',
  // Read by stamped: env_var, dbt's current_timestamp (plain and dbt.), invocation_id, a project macro.
  'macros/cents.sql':
    "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n{% macro stamp_text() %}{{ current_timestamp() | replace(\"'\", '') }}{% endmacro %}\n",
  'models/stamped.sql': [
    'select order_id,',
    '  \'{{ env_var("DEMA_UT_REGION", "eu") }}\' as region,',
    '  \'{{ env_var("DEMA_UT_KEEP", "kept") }}\' as kept,',
    '  toString({{ dbt.current_timestamp() }}) as at_ns,',
    '  toString({{ current_timestamp() }}) as at_plain,',
    "  '{{ invocation_id }}' as run_id,",
    "  {{ ut.cents('order_id') }} as cents,",
    "  {{ cents('order_id') }} as cents_plain,",
    // A macro the model calls: dbt applies overrides only where the model names them.
    "  '{{ stamp_text() }}' as via_macro",
    "from {{ ref('stg_orders') }}",
    '',
  ].join('\n'),
  'tests/fixtures/expected_inc.sql': 'select 150 as order_id\nunion all\nselect 50 as order_id;\n',
  'models/schema.yml': [
    'sources:',
    '  - name: raw',
    '    schema: ut',
    '    tables: [{name: raw_payments}]',
    'unit_tests:',
    '  - name: adds_up',
    '    model: customer_orders',
    '    given:',
    "      - input: ref('stg_customers')",
    '        rows: [{customer_id: 1, name: ann}, {customer_id: 2, name: bob}, {customer_id: 3}]',
    "      - input: ref('stg_orders')",
    '        format: csv',
    '        rows: |',
    '          order_id,customer_id,ordered_at',
    '          10,1,2024-01-01',
    '          11,1,2024-02-01',
    '          12,2,2024-03-01',
    "      - input: source('raw', 'raw_payments')",
    '        rows: [{order_id: 10, amount: 5}, {order_id: 11, amount: 7}, {order_id: 12, amount: 1}]',
    '    expect:',
    '      rows:',
    '        - {customer_id: 2, orders: 1, paid: 1, email: null}',
    '        - {customer_id: 1, orders: 2, paid: 12, email: null}',
    '  - name: since_var',
    '    model: customer_orders',
    "    overrides: {vars: {since: '2024-02-01'}}",
    '    given:',
    "      - input: ref('stg_customers')",
    '        rows: [{customer_id: 1}, {customer_id: 2}]',
    "      - input: ref('stg_orders')",
    '        rows:',
    '          - {order_id: 10, customer_id: 1, ordered_at: 2024-01-01}',
    '          - {order_id: 11, customer_id: 1, ordered_at: 2024-02-01}',
    '          - {order_id: 12, customer_id: 2, ordered_at: 2024-03-01}',
    "      - input: source('raw', 'raw_payments')",
    '        format: csv',
    '        fixture: payments',
    '    expect:',
    '      format: csv',
    '      rows: "customer_id,paid\\n1,7\\n2,1\\n"',
    '  - name: incremental_run',
    '    model: inc_orders',
    '    overrides: {macros: {is_incremental: true}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 50, customer_id: 4}, {order_id: 150}]',
    '      - input: this',
    '        format: sql',
    "        rows: 'select toInt32(100) as order_id, toInt32(1) as customer_id'",
    '    expect:',
    '      rows: [{order_id: 150, customer_id: 0}]',
    '  - name: full_run',
    '    model: inc_orders',
    '    overrides: {macros: {is_incremental: false}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 50, customer_id: 4}, {order_id: 150}]',
    '    expect:',
    '      rows: [{order_id: 150, customer_id: 0}, {order_id: 50, customer_id: 4}]',
    '  - name: env_and_namespaced_macros',
    '    model: stamped',
    '    overrides:',
    '      env_vars: {DEMA_UT_REGION: us}',
    '      macros:',
    '        dbt.current_timestamp: "toDateTime(\'2024-05-01 00:00:00\')"',
    '        invocation_id: run-1',
    "        ut.cents: '7'",
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 3}]',
    '    expect:',
    '      rows:',
    "        - {order_id: 3, region: us, kept: kept, at_ns: '2024-05-01 00:00:00', at_plain: '2024-05-01 00:00:00', run_id: run-1, cents: 7, cents_plain: 300}",
    '  - name: plain_macros',
    '    model: stamped',
    '    overrides:',
    '      macros:',
    '        current_timestamp: "toDateTime(\'2025-01-02 03:04:05\')"',
    "        cents: '1'",
    '        no_such_macro: ignored',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 3}]',
    '    expect:',
    '      rows:',
    "        - {region: real, at_ns: '2025-01-02 03:04:05', at_plain: '2025-01-02 03:04:05', cents: 300, cents_plain: 1, via_macro: now()}",
    '  - name: sql_expect',
    '    model: inc_orders',
    '    overrides: {macros: {is_incremental: false}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 50, customer_id: 4}, {order_id: 150}]',
    '    expect:',
    '      format: sql',
    "      rows: \"select '150' as order_id, 0 as customer_id union all select '50', 4\"",
    '  - name: sql_fixture_expect',
    '    model: inc_orders',
    '    overrides: {macros: {is_incremental: false}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 50, customer_id: 4}, {order_id: 150}]',
    '    expect: {format: sql, fixture: expected_inc}',
    '  - name: wrong_env_var',
    '    model: stamped',
    '    config: {tags: [broken]}',
    '    overrides: {env_vars: {DEMA_UT_REGION: us}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 3}]',
    '    expect: {rows: [{region: real}]}',
    '  - name: wrong_macro',
    '    model: stamped',
    '    config: {tags: [broken]}',
    "    overrides: {macros: {ut.cents: '7000'}}",
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 3}]',
    '    expect: {rows: [{cents: 300}]}',
    '  - name: wrong_sql_expect',
    '    model: inc_orders',
    '    config: {tags: [broken]}',
    '    overrides: {macros: {is_incremental: false}}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 150}]',
    '    expect: {format: sql, rows: "select 151 as order_id"}',
    '  - name: wrong_total',
    '    model: customer_orders',
    '    config: {tags: [broken]}',
    '    given:',
    "      - input: ref('stg_customers')",
    '        rows: [{customer_id: 1}]',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 10, customer_id: 1, ordered_at: 2024-01-01}, {order_id: 11, customer_id: 1, ordered_at: 2024-01-02}]',
    "      - input: source('raw', 'raw_payments')",
    '        rows: [{order_id: 10, amount: 5}, {order_id: 11, amount: 7}]',
    '    expect:',
    '      rows: [{customer_id: 1, paid: 13}]',
    '  - name: one_row_not_two',
    '    model: inc_orders',
    '    config: {tags: [broken]}',
    '    given:',
    "      - input: ref('stg_orders')",
    '        rows: [{order_id: 7, customer_id: 1}, {order_id: 7, customer_id: 1}]',
    '    expect:',
    '      rows: [{order_id: 7, customer_id: 1}]',
    '',
  ].join('\n'),
};

type Done = { uniqueId: string; status: string; message: string; index: number };

test('unit tests run in build and test as dbt runs them, and fail with a diff of the rows', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...PROJECT,
    'profiles.yml': `ut:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: ut}\n`,
  });
  const cli = async (...args: string[]) => {
    // The real environment sets the variable a test overrides: the override must win.
    const result = await runCli([...args, '--json'], { cwd: dir, env: { DEMA_UT_REGION: 'real' } });
    const done = new Map<string, Done>();
    for (const event of result.events)
      if (event.type === 'dbt.node.done') done.set(String(event.uniqueId), event as unknown as Done);
    return { ...result, done };
  };
  const id = (model: string, name: string) => `unit_test.ut.${model}.${name}`;

  // The source exists before the run (here a seed loads it), as dbt reads its column types from it.
  assert.equal((await cli('seed')).code, 0);
  // Each unit test runs after its model's parents are built and before its model.
  const built = await cli('build', '--exclude', 'tag:broken');
  assert.equal(built.code, 0, built.stdout + built.stderr);
  for (const [model, name] of [
    ['customer_orders', 'adds_up'],
    ['customer_orders', 'since_var'],
    ['inc_orders', 'incremental_run'],
    ['inc_orders', 'full_run'],
    ['stamped', 'env_and_namespaced_macros'],
    ['stamped', 'plain_macros'],
    ['inc_orders', 'sql_expect'],
    ['inc_orders', 'sql_fixture_expect'],
  ] as const) {
    const result = built.done.get(id(model, name));
    assert.equal(result?.status, 'pass', `${name}: ${result?.message}`);
    assert.ok(result.index < built.done.get(`model.ut.${model}`)!.index, `${name} runs before ${model}`);
    assert.ok(result.index > built.done.get('model.ut.stg_orders')!.index, `${name} runs after its parents`);
  }
  assert.equal(built.done.has(id('customer_orders', 'wrong_total')), false);

  // test runs the unit tests too; a wrong expectation fails (exit 1) naming the differing rows.
  const tested = await cli('test', '--select', 'test_type:unit');
  assert.equal(tested.code, 1, tested.stdout);
  assert.equal(tested.done.get(id('customer_orders', 'adds_up'))?.status, 'pass');
  const wrong = tested.done.get(id('customer_orders', 'wrong_total'))!;
  assert.equal(wrong.status, 'fail');
  assert.match(wrong.message, /^\+\+\+,1,12$/m);
  assert.match(wrong.message, /^---,1,13$/m);
  const runResults = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string; failures: number | null }[];
  };
  const stored = runResults.results.find(
    (result) => result.unique_id === id('customer_orders', 'wrong_total'),
  );
  assert.deepEqual([stored?.status, stored?.failures], ['fail', 1]);
  // Multiplicity: two equal actual rows are not the one expected.
  const dupes = tested.done.get(id('inc_orders', 'one_row_not_two'))!;
  assert.equal(dupes.status, 'fail', dupes.message);
  assert.match(dupes.message, /^\+\+\+,7,1$/m);
  assert.doesNotMatch(dupes.message, /^---/m);
  // Each override and the sql expectation is really used: expecting what the model gives without it fails.
  const failure = (model: string, name: string) => {
    const result = tested.done.get(id(model, name))!;
    assert.equal(result.status, 'fail', `${name}: ${result.message}`);
    return result.message;
  };
  assert.match(failure('stamped', 'wrong_env_var'), /^\+\+\+,us\n---,real$/m);
  assert.match(failure('stamped', 'wrong_macro'), /^\+\+\+,7000\n---,300$/m);
  const sqlDiff = failure('inc_orders', 'wrong_sql_expect');
  assert.match(sqlDiff, /^\+\+\+,150$/m);
  assert.match(sqlDiff, /^---,151$/m);
  // manifest.json lists the unit tests as dbt writes them.
  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8')) as {
    unit_tests: Record<string, Record<string, unknown>>;
  };
  assert.equal(Object.keys(manifest.unit_tests).length, 13);
  const entry = manifest.unit_tests[id('customer_orders', 'since_var')]!;
  assert.deepEqual(
    {
      name: entry.name,
      model: entry.model,
      resource_type: entry.resource_type,
      unique_id: entry.unique_id,
      fqn: entry.fqn,
      path: entry.path,
      original_file_path: entry.original_file_path,
      package_name: entry.package_name,
      depends_on: entry.depends_on,
      overrides: entry.overrides,
      expect: entry.expect,
      given: (entry.given as unknown[])[2],
    },
    {
      name: 'since_var',
      model: 'customer_orders',
      resource_type: 'unit_test',
      unique_id: id('customer_orders', 'since_var'),
      fqn: ['ut', 'customer_orders', 'since_var'],
      path: 'schema.yml',
      original_file_path: 'models/schema.yml',
      package_name: 'ut',
      depends_on: { macros: [], nodes: ['model.ut.customer_orders'] },
      overrides: { macros: {}, vars: { since: '2024-02-01' }, env_vars: {} },
      expect: {
        rows: [
          { customer_id: '1', paid: '7' },
          { customer_id: '2', paid: '1' },
        ],
        format: 'csv',
        fixture: null,
      },
      given: {
        input: "source('raw', 'raw_payments')",
        rows: [
          { order_id: '10', amount: '5' },
          { order_id: '11', amount: '7' },
          { order_id: '12', amount: '1' },
        ],
        format: 'csv',
        fixture: 'payments',
      },
    },
  );

  // In build a failing unit test skips its model (and what depends on it), as in dbt.
  const failed = await cli('build', '--select', 'customer_orders');
  assert.equal(failed.code, 1);
  assert.equal(failed.done.get('model.ut.customer_orders')?.status, 'skipped');
  assert.match(String(failed.done.get('model.ut.customer_orders')?.message), /unit test wrong_total/);
  // Left out: the rest runs.
  const left = await cli('build', '--exclude-resource-type', 'unit_test');
  assert.equal(left.code, 0, left.stdout);
  assert.equal(
    [...left.done.keys()].some((key) => key.startsWith('unit_test.')),
    false,
  );
  const byName = await cli('test', '--select', 'since_var');
  assert.equal(byName.code, 0, byName.stdout);
  assert.deepEqual([...byName.done.keys()], [id('customer_orders', 'since_var')]);
  // ls lists them with the nodes, selectable by type, name and model, as dbt ls does.
  const ls = async (...args: string[]) =>
    (await runCli(['ls', ...args], { cwd: dir })).stdout
      .split('\n')
      .filter((line) => line.startsWith('unit_test:'));
  assert.equal((await ls()).length, 13);
  assert.deepEqual(await ls('--select', 'inc_orders', '--exclude', 'tag:broken'), [
    'unit_test:ut.inc_orders.incremental_run',
    'unit_test:ut.inc_orders.full_run',
    'unit_test:ut.inc_orders.sql_expect',
    'unit_test:ut.inc_orders.sql_fixture_expect',
  ]);
  assert.deepEqual(
    await ls('--select', 'test_type:unit', '--exclude', 'tag:broken', '--resource-type', 'model'),
    [],
  );
});

test('a unit test dema does not run refuses build/test with file:line; a missing given is an error', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...PROJECT,
    'profiles.yml': `ut:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: ut}\n`,
    'models/more.yml': [
      'unit_tests:',
      '  - name: uses_versions',
      '    model: inc_orders',
      '    versions: {include: [1]}',
      '    given:',
      "      - input: ref('stg_orders')",
      '        rows: [{order_id: 1}]',
      '    expect: {rows: [{order_id: 1}]}',
      '  - name: gives_too_little',
      '    model: customer_orders',
      '    config: {tags: [little]}',
      '    given:',
      "      - input: ref('stg_customers')",
      '        rows: [{customer_id: 1}]',
      '    expect: {rows: [{customer_id: 1}]}',
      '  - name: env_vars_as_list',
      '    model: inc_orders',
      '    config: {tags: [bad]}',
      '    overrides: {env_vars: [X]}',
      "    given: [{input: ref('stg_orders'), rows: []}]",
      '    expect: {rows: []}',
      '',
    ].join('\n'),
  });
  assert.equal((await runCli(['seed'], { cwd: dir })).code, 0);
  const bad = await runCli(['test', '--json', '--select', 'tag:bad'], { cwd: dir });
  assert.equal(bad.code, 2, bad.stdout);
  const badError = bad.events.find((event) => event.type === 'error');
  assert.equal(badError?.code, 'PARSE_YAML');
  assert.match(
    String(badError?.message),
    /models\/more\.yml:\d+: unit test "env_vars_as_list": overrides: env_vars must be a mapping/,
  );
  for (const command of ['build', 'test']) {
    const result = await runCli([command, '--json'], { cwd: dir });
    assert.equal(result.code, 2, result.stdout);
    const error = result.events.find((event) => event.type === 'error');
    assert.equal(error?.code, 'DBT_UNSUPPORTED');
    assert.match(
      String(error?.message),
      /models\/more\.yml:2: unit test "uses_versions": versions: is not supported/,
    );
  }
  const ran = await runCli(['build', '--json', '--exclude', 'uses_versions', 'tag:broken', 'tag:bad'], {
    cwd: dir,
  });
  assert.equal(ran.code, 1, ran.stdout);
  const little = ran.events.find(
    (event) =>
      event.type === 'dbt.node.done' && event.uniqueId === 'unit_test.ut.customer_orders.gives_too_little',
  );
  assert.equal(little?.status, 'error');
  assert.match(String(little?.message), /reads ref\('stg_orders'\), which the test does not give/);
  // A failed parent skips the unit tests of its children with them (one result each, no hang).
  writeFiles(dir, { 'models/stg_orders.sql': 'select no_such_column from system.one\n' });
  const broken = await runCli(
    ['build', '--json', '--exclude', 'uses_versions', 'tag:broken', 'tag:little', 'tag:bad'],
    {
      cwd: dir,
    },
  );
  assert.equal(broken.code, 1, broken.stdout);
  const statusOf = (uniqueId: string) =>
    broken.events.find((event) => event.type === 'dbt.node.done' && event.uniqueId === uniqueId)?.status;
  assert.equal(statusOf('unit_test.ut.customer_orders.adds_up'), 'skipped');
  assert.equal(statusOf('unit_test.ut.inc_orders.full_run'), 'skipped');
  assert.equal(statusOf('model.ut.inc_orders'), 'skipped');
});

test('unit tests on the ClickHouse server too (18.x: no defaultValueOfTypeName, older toString)', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const dir = tempDir(t);
  const schema = `dbt_unit_${randomBytes(4).toString('hex')}`;
  t.after(() =>
    fetch(`http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4`, {
      method: 'POST',
      body: `DROP DATABASE IF EXISTS ${schema}`,
    }).then((response) => response.text()),
  );
  writeFiles(dir, {
    'dbt_project.yml': 'name: srv\nprofile: srv\n',
    'profiles.yml': `srv:\n  target: s\n  outputs:\n    s: {type: clickhouse, host: 127.0.0.1, port: ${SERVER_PORT}, user: dema, password: d3m4, schema: ${schema}}\n`,
    'seeds/s.csv': 'id,price\n1,2.5\n',
    'models/m.sql': "select id, id * 2 as twice, price from {{ ref('s') }}\n",
    'models/schema.yml': [
      'unit_tests:',
      '  - name: doubles',
      '    model: m',
      '    given:',
      "      - input: ref('s')",
      '        rows: [{id: 1}, {id: 2, price: 1.5}, {id: 2, price: 1.5}]',
      '    expect:',
      '      rows: [{id: 2, twice: 4, price: 1.5}, {id: 1, twice: 2, price: 0}, {id: 2, twice: 4, price: 1.5}]',
      '',
    ].join('\n'),
  });
  const result = await runCli(['build', '--json'], { cwd: dir });
  assert.equal(result.code, 0, result.stdout);
  const unit = result.events.find(
    (e) => e.type === 'dbt.node.done' && e.uniqueId === 'unit_test.srv.m.doubles',
  );
  assert.equal(unit?.status, 'pass', String(unit?.message));
});

test('fixture column names match the relation case-insensitively, as dbt lower-cases both (format_row)', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('uc', join(dir, 'wh')),
    'models/parent.sql': "select toInt32(1) as id, 'a' as Label\n",
    'models/child.sql': "select id * 2 as Doubled, Label from {{ ref('parent') }}\n",
    'models/unit.yml': [
      'unit_tests:',
      '  - name: cased',
      '    model: child',
      "    given: [{input: ref('parent'), rows: [{ID: 5, label: x}, {Id: 6, LABEL: y}]}]",
      '    expect: {rows: [{doubled: 10, label: x}, {DOUBLED: 12, Label: y}]}',
      '  - name: still_checked',
      '    model: child',
      "    given: [{input: ref('parent'), rows: [{idd: 5}]}]",
      '    expect: {rows: [{doubled: 0}]}',
      '',
    ].join('\n'),
  });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  assert.equal((await cli('run')).code, 0);
  const tested = await cli('test', '-s', 'test_type:unit', '--json');
  const status = Object.fromEntries(
    tested.events
      .filter((e) => e.type === 'dbt.node.done')
      .map((e) => [String(e.uniqueId).split('.').at(-1), e.status]),
  );
  assert.deepEqual(status, { cased: 'pass', still_checked: 'error' }, tested.stdout);
  // Terms that take only unit tests (no graph node) match something: no NoNodesForSelectionCriteria.
  assert.ok(!/does not match any enabled nodes/.test(tested.stdout + tested.stderr), tested.stdout);
  for (const term of ['test_type:unit', 'resource_type:unit_test', 'cased']) {
    const listed = await cli(
      'ls',
      '-s',
      term,
      '--warn-error-options',
      '{error: [NoNodesForSelectionCriteria]}',
    );
    assert.equal(listed.code, 0, `${term}: ${listed.stderr}`);
    assert.match(listed.stdout, /cased/, term);
  }
  const unknown = tested.events.find((e) => String(e.uniqueId).endsWith('still_checked') && e.status);
  assert.match(String(unknown?.message), /ref\('parent'\) has no column "idd"/);
});

test("a package's unit tests run as the root's: a wrong expectation fails with its diff under the package's id", async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('pu', join(dir, 'wh')),
    'dbt_packages/pkg/dbt_project.yml': 'name: pkg\n',
    'dbt_packages/pkg/models/base.sql': 'select toInt32(1) as id\n',
    'dbt_packages/pkg/models/dbl.sql': "select id * 2 as d from {{ ref('base') }}\n",
    'dbt_packages/pkg/models/u.yml': [
      'unit_tests:',
      '  - name: dbl_wrong',
      '    model: dbl',
      '    given:',
      "      - input: ref('base')",
      '        rows: [{id: 3}]',
      '    expect:',
      '      rows: [{d: 7}]',
    ].join('\n'),
  });
  const build = await runCli(['build', '--json'], { cwd: dir });
  const done = build.events.filter((e) => e.type === 'dbt.node.done');
  const unit = done.find((e) => e.uniqueId === 'unit_test.pkg.dbl.dbl_wrong');
  assert.equal(unit?.status, 'fail', build.stdout);
  assert.match(String(unit?.message), /\+\+\+,6\n---,7/);
  assert.equal(done.find((e) => e.uniqueId === 'model.pkg.dbl')?.status, 'skipped');
});
