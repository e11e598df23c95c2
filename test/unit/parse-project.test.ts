import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildManifest } from '../../src/dbt/artifacts/artifacts.ts';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

const TARGET = { schema: 'analytics', name: 'dev', type: 'clickhouse' };

function parse(t: Parameters<typeof tempDir>[0], files: Record<string, string>, cliVars = {}) {
  const dir = tempDir(t);
  writeFiles(dir, { 'dbt_project.yml': 'name: shop\nprofile: shop\n', ...files });
  return parseProject({ projectDir: dir, target: TARGET, cliVars, env: { SHOP_ENV: 'ci' } });
}

test('config precedence: project tree < YAML config < config() in the file; + rules and tag appends', (t) => {
  const parsed = parse(t, {
    'dbt_project.yml': `
name: shop
profile: shop
models:
  +tags: [everything]
  shop:
    +materialized: table
    marts:
      materialized: incremental
      +schema: marts
      +meta: {owner: finance}
`,
    'models/marts/revenue.sql': "{{ config(order_by='id', tags=['in_file']) }}\nselect 1 as id\n",
    'models/marts/schema.yml':
      'version: 2\nmodels:\n  - name: revenue\n    config: {materialized: table, tags: [yaml]}\n',
    'models/plain.sql': 'select 1 as id\n',
  });
  const revenue = parsed.manifest.nodes.get('model.shop.revenue')!;
  assert.equal(revenue.config.materialized, 'table', 'YAML beats the project tree');
  assert.equal(revenue.config.order_by, 'id');
  assert.deepEqual(revenue.tags, ['everything', 'yaml', 'in_file']);
  assert.deepEqual(revenue.meta, { owner: 'finance' });
  assert.equal(revenue.schema, 'analytics_marts', 'a custom schema is <target schema>_<custom>');
  assert.equal(revenue.relationName, '`analytics_marts`.`revenue`');
  assert.deepEqual(revenue.fqn, ['shop', 'marts', 'revenue']);
  assert.equal(parsed.manifest.nodes.get('model.shop.plain')!.config.materialized, 'table');
});

test('vars: --vars beat project vars; env_var; a project generate_schema_name overrides the built-in', (t) => {
  const parsed = parse(
    t,
    {
      'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  region: eu\n  size: 1\n',
      'macros/naming.sql':
        '{% macro generate_schema_name(custom, node) %}{{ target.schema }}_{{ var("region") }}{% endmacro %}',
      'models/m.sql': "{{ config(alias='m_' ~ var('size') ~ '_' ~ env_var('SHOP_ENV')) }}\nselect 1\n",
    },
    { region: 'us' },
  );
  const model = parsed.manifest.nodes.get('model.shop.m')!;
  assert.equal(model.schema, 'analytics_us');
  assert.equal(model.alias, 'm_1_ci');
});

test('sources with Jinja schema, docs blocks, disabled models, two-argument ref and hooks', (t) => {
  const parsed = parse(t, {
    'dbt_project.yml':
      'name: shop\nprofile: shop\non-run-start: "select 1"\non-run-end: ["select 2", "select 3"]\n',
    'models/sources.yml': `
version: 2
sources:
  - name: raw
    schema: "{{ target.schema }}_raw"
    loaded_at_field: _loaded_at
    freshness: {warn_after: {count: 1, period: day}}
    tables:
      - name: orders
        identifier: orders_v1
        description: "{{ doc('orders') }}"
        columns:
          - name: id
            data_tests: [unique]
`,
    'models/docs.md': '{% docs orders %}Every order.{% enddocs %}',
    'models/stg.sql': "select * from {{ source('raw', 'orders') }}\n",
    'models/off.sql': '{{ config(enabled=false) }}\nselect 1\n',
    'models/two.sql': "select * from {{ ref('shop', 'stg') }}\n",
  });
  const source = parsed.manifest.nodes.get('source.shop.raw.orders')!;
  assert.equal(source.relationName, '`analytics_raw`.`orders_v1`');
  assert.equal(source.description, 'Every order.');
  assert.deepEqual(source.source?.freshness, { warn_after: { count: 1, period: 'day' } });
  assert.equal(parsed.manifest.nodes.has('model.shop.off'), false);
  assert.deepEqual(parsed.manifest.nodes.get('model.shop.two')!.dependsOn, ['model.shop.stg']);
  const test = [...parsed.manifest.nodes.values()].find((n) => n.name === 'source_unique_raw_orders_id')!;
  assert.deepEqual(test.dependsOn, ['source.shop.raw.orders']);
  const hooks = [...parsed.manifest.nodes.keys()].filter((id) => id.startsWith('operation.'));
  assert.deepEqual(hooks, [
    'operation.shop.shop-on-run-start-0',
    'operation.shop.shop-on-run-end-0',
    'operation.shop.shop-on-run-end-1',
  ]);
});

test('a ref inside an unexecuted branch is still recorded at parse time; YAML errors carry the line', (t) => {
  const parsed = parse(t, {
    'models/a.sql': 'select 1 as id\n',
    'models/b.sql':
      "{% if execute and false %}select * from {{ ref('a') }}{% endif %}\n-- depends_on: {{ ref('a') }}\nselect 2\n",
  });
  assert.deepEqual(parsed.manifest.nodes.get('model.shop.b')!.dependsOn, ['model.shop.a']);
  assert.throws(
    () =>
      parse(t, {
        'models/a.sql': 'select 1\n',
        'models/s.yml': 'version: 2\nmodels:\n  - name: a\n   columns: []\n',
      }),
    {
      code: 'PARSE_YAML',
      message: /^models\/s\.yml:\d+: /,
    },
  );
});

test("config() inside a generic test's definition is a default the YAML config overrides; argument refs are edges", (t) => {
  const parsed = parse(t, {
    'models/a.sql': 'select 1 as id\n',
    'models/b.sql': 'select 1 as id\n',
    'models/schema.yml': `
version: 2
models:
  - name: a
    data_tests:
      - dbt_utils.equal_rowcount: {compare_model: ref('b')}
      - dbt_utils.equal_rowcount:
          name: a_equals_b_loosely
          arguments: {compare_model: ref('b')}
          config: {fail_calc: 'max(diff_count)'}
`,
  });
  const tests = [...parsed.manifest.nodes.values()].filter((n) => n.resourceType === 'test');
  const byDefault = tests.find((n) => n.name.startsWith('dbt_utils_equal_rowcount'))!;
  assert.equal(byDefault.config.fail_calc, 'sum(coalesce(diff_count, 0))');
  assert.deepEqual([...byDefault.dependsOn].sort(), ['model.shop.a', 'model.shop.b']);
  assert.equal(tests.find((n) => n.name === 'a_equals_b_loosely')!.config.fail_calc, 'max(diff_count)');
});

test("a project's own ref macro replaces dbt's and reaches it through builtins.ref; parse renders tolerate undefined attributes", (t) => {
  const parsed = parse(t, {
    'macros/ref.sql':
      "{% macro ref(name) %}{{ return(builtins.ref('a' if name == 'alias_of_a' else name)) }}{% endmacro %}",
    'models/a.sql': 'select 1 as id\n',
    'models/b.sql': "select * from {{ ref('alias_of_a') }}\n{{ not_yet_known.columns[0].name }}\n",
  });
  assert.deepEqual(parsed.manifest.nodes.get('model.shop.b')!.dependsOn, ['model.shop.a']);
});

test('exposures: parsed from schema YAML into the manifest with their parents, as dbt writes them', (t) => {
  const parsed = parse(t, {
    'models/orders.sql': 'select 1 as id\n',
    'seeds/currencies.csv': 'code\nEUR\n',
    'models/schema.yml': `version: 2
sources:
  - name: raw
    tables: [{name: events}]
exposures:
  - name: revenue_dashboard
    label: Revenue
    type: dashboard
    maturity: high
    url: http://127.0.0.1:8080/dashboard
    description: Monthly revenue per currency.
    owner: {name: Finance, email: finance@example.com}
    depends_on:
      - ref('orders')
      - ref('shop', 'currencies')
      - source('raw', 'events')
`,
  });
  const exposure = parsed.manifest.exposures?.get('exposure.shop.revenue_dashboard');
  assert.deepEqual(exposure?.dependsOn, [
    'model.shop.orders',
    'seed.shop.currencies',
    'source.shop.raw.events',
  ]);
  const manifest = buildManifest(parsed, 'inv') as unknown as {
    exposures: Record<string, Record<string, unknown>>;
    parent_map: Record<string, string[]>;
    child_map: Record<string, string[]>;
  };
  const dict = manifest.exposures['exposure.shop.revenue_dashboard']!;
  assert.equal(dict.resource_type, 'exposure');
  assert.deepEqual(dict.owner, { name: 'Finance', email: 'finance@example.com' });
  assert.deepEqual(dict.depends_on, {
    macros: [],
    nodes: ['model.shop.orders', 'seed.shop.currencies', 'source.shop.raw.events'],
  });
  assert.equal(dict.original_file_path, 'models/schema.yml');
  assert.deepEqual(
    manifest.parent_map['exposure.shop.revenue_dashboard'],
    dict.depends_on && ['model.shop.orders', 'seed.shop.currencies', 'source.shop.raw.events'],
  );
  assert.ok(manifest.child_map['model.shop.orders']?.includes('exposure.shop.revenue_dashboard'));
});

test('an exposure depending on a missing model is an error naming the YAML file and line', (t) => {
  assert.throws(
    () =>
      parse(t, {
        'models/orders.sql': 'select 1 as id\n',
        'models/schema.yml':
          "version: 2\nexposures:\n  - name: ok\n    depends_on: [ref('orders')]\n  - name: broken\n    depends_on: [ref('nope')]\n",
      }),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'REF_NOT_FOUND' &&
      /schema\.yml:5: the exposure depends on ref\('nope'\)/.test(error.message),
  );
});

test("var(): a string value is rendered as Jinja in the calling node's context (project and --vars), a default is not", (t) => {
  const parsed = parse(
    t,
    {
      'dbt_project.yml': [
        'name: shop',
        'profile: shop',
        'vars:',
        '  suffix: "{{ target.name }}_{{ shop_prefix() }}"',
        '  plain: "{ not jinja }"',
        '  count: 3',
        '',
      ].join('\n'),
      'macros/prefix.sql': '{% macro shop_prefix() %}{{ this.name }}{% endmacro %}',
      'models/m.sql': [
        "{{ config(alias='m_' ~ var('suffix'), meta={'cli': var('region'), 'plain': var('plain'),",
        "  'count': var('count'), 'fallback': var('nope', '{{ 1 + 1 }}')}) }}",
        'select 1',
        '',
      ].join('\n'),
    },
    { region: "{{ 'u' ~ 's' }}" },
  );
  const model = parsed.manifest.nodes.get('model.shop.m')!;
  assert.equal(model.alias, 'm_dev_m', 'rendered with target and a macro seeing the node');
  assert.deepEqual(model.meta, { cli: 'us', plain: '{ not jinja }', count: 3, fallback: '{{ 1 + 1 }}' });
});
