import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { SERVER_PORT, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * A package with models, a seed, sources, schema YAML tests, a singular test and vars, installed
 * with `dema deps` (local:) and run as dbt runs it: ids and FQNs under the package, configs from
 * its dbt_project.yml overridden by the root project's `models: <package>:` tree, vars by dbt's
 * ModelConfiguredVar layers, `package:` selection. Expected values are computed here from the raw
 * rows and dbt's documented rules, never read back from dema.
 */

/** The raw orders the package's source reads (a root seed): id, amount. Id 4 is planted twice. */
const RAW = [
  [1, 3],
  [2, 7],
  [3, 12],
  [4, 20],
  [4, 25],
  [5, 9],
];

function writePackage(dir: string): void {
  writeFiles(dir, {
    'dbt_project.yml': `
name: shop_source
version: "1.0.0"
config-version: 2
on-run-end:
  - "create table if not exists {{ target.schema }}.hook_log engine = MergeTree order by tuple() as select '{{ var('currency') }}' as who"
models:
  shop_source:
    +materialized: table
    staging:
      +materialized: view
vars:
  currency: USD          # global default: loses to the package-scoped one below
  multiplier: 2          # global default, nobody overrides it
  min_amount: 100        # global default: loses to the scoped one, which the root overrides
  shop_source:
    currency: EUR
    min_amount: 10
`,
    'macros/cents.sql': '{% macro to_cents(x) %}({{ x }} * 100){% endmacro %}\n',
    'seeds/fx_rates.csv': 'currency,rate\nEUR,1.1\nUSD,1\n',
    'models/staging/stg_orders.sql': `
select id, amount * {{ var('multiplier') }} as scaled, '{{ var('currency') }}' as currency
from {{ source('shop_raw', 'orders') }}
where amount >= {{ var('min_amount') }}
`,
    'models/order_totals.sql': `
select o.currency as currency, sum(o.scaled) as total, {{ to_cents('sum(o.scaled)') }} as total_cents,
  any(f.rate) as rate
from {{ ref('stg_orders') }} as o
left join {{ ref('fx_rates') }} as f on f.currency = o.currency
group by o.currency
`,
    'models/disabled_by_root.sql': 'select 1 as x\n',
    'models/schema.yml': `
version: 2
sources:
  - name: shop_raw
    schema: "{{ target.schema }}"
    tables:
      - name: orders
        identifier: raw_orders
        columns:
          - name: id
            data_tests: [not_null]
models:
  - name: stg_orders
    description: Orders at or above the minimum amount.
    columns:
      - name: id
        data_tests: [unique, not_null]
  - name: order_totals
    columns:
      - name: currency
        data_tests:
          - accepted_values:
              arguments: {values: [EUR]}
`,
    'tests/assert_totals_positive.sql': "select * from {{ ref('order_totals') }} where total <= 0\n",
  });
}

function writeRoot(dir: string, packageDir: string, profile: string): void {
  writeFiles(dir, {
    'dbt_project.yml': `
name: shop
profile: shop
on-run-end:
  - "insert into {{ target.schema }}.hook_log select 'root'"
models:
  shop_source:
    +schema: src
    disabled_by_root:
      +enabled: false
seeds:
  shop_source:
    +schema: src
vars:
  shop_source:
    min_amount: 5
`,
    'profiles.yml': `shop:\n  target: dev\n  outputs:\n    dev: ${profile}\n`,
    'packages.yml': `packages:\n  - local: ${packageDir}\n`,
    'seeds/raw_orders.csv': `id,amount\n${RAW.map((row) => row.join(',')).join('\n')}\n`,
    'models/root_report.sql':
      "select currency, total from {{ ref('order_totals') }}\nwhere currency in (select currency from {{ ref('shop_source', 'fx_rates') }})\n",
  });
}

type Done = { uniqueId: string; status: string };
const statuses = (events: Record<string, unknown>[]) =>
  new Map(
    (events.filter((e) => e.type === 'dbt.node.done') as unknown as Done[]).map((e) => [e.uniqueId, e]),
  );

type Query = <Row>(sql: string) => Promise<Row[]>;

/** The whole scenario on one warehouse: `profile` is the profiles.yml output, `query` reads it. */
async function packageScenario(t: TestContext, SCHEMA: string, profile: string, query: Query) {
  const packageDir = tempDir(t, 'dema-pkg-');
  const dir = tempDir(t);
  writePackage(packageDir);
  writeRoot(dir, packageDir, profile);
  const deps = await runCli(['deps'], { cwd: dir });
  assert.equal(deps.code, 0, deps.stderr);

  // What dbt would compute: min_amount 5 (the root's vars.shop_source beats the package's own),
  // multiplier 2 (package global), currency EUR (package-scoped beats package-global).
  const kept = RAW.filter(([, amount]) => amount! >= 5);
  const expectedTotal = kept.reduce((sum, [, amount]) => sum + amount! * 2, 0);

  const list = await runCli(['ls', '--select', 'package:shop_source'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  const listed = list.stdout.trim().split('\n').sort();
  assert.ok(listed.includes('shop_source.staging.stg_orders'), list.stdout);
  assert.ok(listed.includes('shop_source.fx_rates'));
  assert.ok(listed.includes('source:shop_source.shop_raw.orders'));
  assert.ok(!listed.some((line) => line.startsWith('shop.')), 'package: selects no root node');
  assert.ok(!listed.some((line) => line.includes('disabled_by_root')), 'the root project disabled it');

  // dbt's fqn method: a bare package name is an FQN prefix, as is `<package>.<folder>.*`.
  const byName = await runCli(['ls', '--select', 'shop_source'], { cwd: dir });
  assert.deepEqual(byName.stdout.trim().split('\n').sort(), listed);
  const folder = await runCli(['ls', '--select', 'shop_source.staging.*', '--resource-type', 'model'], {
    cwd: dir,
  });
  assert.equal(folder.stdout.trim(), 'shop_source.staging.stg_orders');

  const seed = await runCli(['seed', '--select', 'raw_orders'], { cwd: dir });
  assert.equal(seed.code, 0, seed.stderr);
  // Only the package's nodes: its seed, models and tests; never the root model.
  const packageBuild = await runCli(['build', '--select', 'package:shop_source', '--json'], { cwd: dir });
  const built = statuses(packageBuild.events);
  assert.ok(
    [...built.keys()].every((id) => id.split('.')[1] === 'shop_source'),
    [...built.keys()].join(' '),
  );
  assert.equal(built.get('model.shop_source.stg_orders')?.status, 'success');
  assert.equal(built.get('seed.shop_source.fx_rates')?.status, 'success');
  const unique = [...built.values()].find((d) =>
    d.uniqueId.startsWith('test.shop_source.unique_stg_orders_id'),
  );
  assert.equal(unique?.status, 'fail', 'the planted duplicate id 4 fails unique');
  const runResults = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8'));
  const uniqueResult = runResults.results.find(
    (r: { unique_id: string }) => r.unique_id === unique?.uniqueId,
  );
  assert.equal(uniqueResult?.failures, 1, 'one duplicated id');
  assert.equal(packageBuild.code, 1, 'a failing test fails the build');
  const rootRelations = await query<{ name: string }>(
    `select name from system.tables where database = '${SCHEMA}' and substring(name, 1, 1) != '_' order by name`,
  );
  assert.deepEqual(
    rootRelations.map((r) => r.name),
    ['hook_log', 'raw_orders'],
    'package:shop_source built nothing of the root project (hook_log: the on-run-end hooks)',
  );

  // The whole project: the root model reads the package's models across schemas.
  const run = await runCli(['run', '--json'], { cwd: dir });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const tables = await query<{ database: string; name: string; engine: string }>(
    `select database, name, engine from system.tables where database like '${SCHEMA}%' and name not like '%__dbt%' and substring(name, 1, 1) != '_' order by database, name`,
  );
  assert.deepEqual(
    tables.map((r) => `${r.database}.${r.name}:${r.engine === 'View' ? 'view' : 'table'}`),
    [
      `${SCHEMA}.hook_log:table`,
      `${SCHEMA}.raw_orders:table`,
      `${SCHEMA}.root_report:view`,
      `${SCHEMA}_src.fx_rates:table`,
      `${SCHEMA}_src.order_totals:table`,
      `${SCHEMA}_src.stg_orders:view`,
    ],
    "+schema from the root's models: shop_source: tree; materializations from the package's tree",
  );
  const staged = await query<{ id: number; scaled: number; currency: string }>(
    `select id, scaled, currency from ${SCHEMA}_src.stg_orders order by id, scaled`,
  );
  assert.deepEqual(
    staged.map((r) => [Number(r.id), Number(r.scaled), r.currency]),
    kept.map(([id, amount]) => [id, amount! * 2, 'EUR']),
  );
  const report = await query<{ currency: string; total: number }>(
    `select currency, total from ${SCHEMA}.root_report`,
  );
  assert.deepEqual(
    report.map((r) => [r.currency, Number(r.total)]),
    [['EUR', expectedTotal]],
  );
  const [cents] = await query<{ total_cents: number; rate: number }>(
    `select total_cents, rate from ${SCHEMA}_src.order_totals`,
  );
  assert.equal(
    Number(cents?.total_cents),
    expectedTotal * 100,
    "the package's own macro, called unqualified",
  );
  assert.equal(Number(cents?.rate).toFixed(1), '1.1');

  // The package's on-run-end ran first (with its own vars), the root project's after it.
  const hookRows = await query<{ who: string }>(`select distinct who from ${SCHEMA}.hook_log order by who`);
  assert.deepEqual(
    hookRows.map((r) => r.who),
    ['EUR', 'root'],
  );

  const tested = await runCli(['test', '--json'], { cwd: dir });
  assert.equal(tested.code, 1);
  const results = statuses(tested.events);
  const byPrefix = (prefix: string) =>
    [...results.values()].find((d) => d.uniqueId.startsWith(`test.shop_source.${prefix}`))?.status;
  assert.equal(byPrefix('unique_stg_orders_id'), 'fail');
  assert.equal(byPrefix('not_null_stg_orders_id'), 'pass');
  assert.equal(byPrefix('source_not_null_shop_raw_orders_id'), 'pass');
  assert.equal(byPrefix('accepted_values_order_totals_currency'), 'pass');
  assert.equal(byPrefix('assert_totals_positive'), 'pass');

  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  const stg = manifest.nodes['model.shop_source.stg_orders'];
  assert.equal(stg.package_name, 'shop_source');
  assert.equal(stg.original_file_path, 'models/staging/stg_orders.sql');
  assert.deepEqual(stg.fqn, ['shop_source', 'staging', 'stg_orders']);
  assert.equal(stg.schema, `${SCHEMA}_src`);
  assert.equal(stg.description, 'Orders at or above the minimum amount.');
  assert.deepEqual(stg.depends_on.nodes, ['source.shop_source.shop_raw.orders']);
  assert.equal(manifest.nodes['model.shop_source.disabled_by_root'], undefined);
  assert.ok(manifest.sources['source.shop_source.shop_raw.orders']);
  assert.deepEqual(manifest.nodes['model.shop.root_report'].depends_on.nodes.sort(), [
    'model.shop_source.order_totals',
    'seed.shop_source.fx_rates',
  ]);
  assert.ok(existsSync(join(dir, 'target/compiled/shop_source/models/staging/stg_orders.sql')));
}

test('a package with models, a seed, sources and tests runs as dbt runs it (chDB)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'warehouse');
  await packageScenario(t, 'pkgroot', `{type: chdb, path: "${path}", schema: pkgroot, threads: 2}`, (sql) =>
    queryStore(path, 'pkgroot', sql),
  );
});

test('a package with models runs on the ClickHouse server', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const schema = `dbt_pkg_${randomBytes(4).toString('hex')}`;
  const http = async (sql: string) => {
    const response = await fetch(`http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4`, {
      method: 'POST',
      body: sql,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(text);
    return text;
  };
  t.after(async () => {
    await http(`DROP DATABASE IF EXISTS ${schema}`);
    await http(`DROP DATABASE IF EXISTS ${schema}_src`);
  });
  await packageScenario(
    t,
    schema,
    `{type: clickhouse, host: 127.0.0.1, port: ${SERVER_PORT}, user: dema, password: d3m4, schema: ${schema}, threads: 2}`,
    async (sql) =>
      (await http(`${sql} FORMAT JSONEachRow`))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  );
});
