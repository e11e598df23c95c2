import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { SERVER_PORT, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt unit tests (dbt-semantics.md §2.7) on chDB: givens replace refs and sources, missing given
// columns are NULL (a non-Nullable type's default, as dbt-clickhouse's safe_cast), rows compare
// order-insensitively with multiplicity, is_incremental and vars overrides apply. Every expected
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
    const result = await runCli([...args, '--json'], { cwd: dir });
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
  assert.equal((await ls()).length, 6);
  assert.deepEqual(await ls('--select', 'inc_orders', '--exclude', 'tag:broken'), [
    'unit_test:ut.inc_orders.incremental_run',
    'unit_test:ut.inc_orders.full_run',
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
      '  - name: uses_env_vars',
      '    model: inc_orders',
      '    given:',
      "      - input: ref('stg_orders')",
      '        rows: [{order_id: 1}]',
      "    overrides: {env_vars: {X: '1'}}",
      '    expect: {rows: [{order_id: 1}]}',
      '  - name: gives_too_little',
      '    model: customer_orders',
      '    config: {tags: [little]}',
      '    given:',
      "      - input: ref('stg_customers')",
      '        rows: [{customer_id: 1}]',
      '    expect: {rows: [{customer_id: 1}]}',
      '',
    ].join('\n'),
  });
  assert.equal((await runCli(['seed'], { cwd: dir })).code, 0);
  for (const command of ['build', 'test']) {
    const result = await runCli([command, '--json'], { cwd: dir });
    assert.equal(result.code, 2, result.stdout);
    const error = result.events.find((event) => event.type === 'error');
    assert.equal(error?.code, 'DBT_UNSUPPORTED');
    assert.match(
      String(error?.message),
      /models\/more\.yml:2: unit test "uses_env_vars": overrides: env_vars is not supported/,
    );
  }
  const ran = await runCli(['build', '--json', '--exclude', 'uses_env_vars', 'tag:broken'], { cwd: dir });
  assert.equal(ran.code, 1, ran.stdout);
  const little = ran.events.find(
    (event) =>
      event.type === 'dbt.node.done' && event.uniqueId === 'unit_test.ut.customer_orders.gives_too_little',
  );
  assert.equal(little?.status, 'error');
  assert.match(String(little?.message), /reads ref\('stg_orders'\), which the test does not give/);
  // A failed parent skips the unit tests of its children with them (one result each, no hang).
  writeFiles(dir, { 'models/stg_orders.sql': 'select no_such_column from system.one\n' });
  const broken = await runCli(['build', '--json', '--exclude', 'uses_env_vars', 'tag:broken', 'tag:little'], {
    cwd: dir,
  });
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
