import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileNode } from '../../src/dbt/compile/compile-node.ts';
import { lookupVar } from '../../src/dbt/compile/vars.ts';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';

/**
 * Nodes of installed packages, checked against dbt's documented rules: var() layers
 * (ModelConfiguredVar), config precedence (calculate_node_config), ref search order
 * (_packages_to_search and the 1.11 flag), generate_schema_name's choice of macro (RelationUpdate).
 */

const TARGET = { schema: 'analytics', name: 'dev', type: 'clickhouse' };

function parse(t: Parameters<typeof tempDir>[0], files: Record<string, string>, cliVars = {}) {
  const dir = tempDir(t);
  writeFiles(dir, { 'dbt_project.yml': 'name: shop\nprofile: shop\n', ...files });
  return parseProject({ projectDir: dir, target: TARGET, cliVars, env: {} });
}

const PKG = 'dbt_packages/pkg';
const yamlValue = (value: unknown) => JSON.stringify(value);

// dbt-semantics.md §1.3, lowest → highest: the package's global vars, its vars.<package>, the root
// project's global vars, the root's vars.<node package>, --vars. A root node sees only the last three
// (with vars.<root project>). Every subset of layers is a var named after its bits.
const LAYERS = ['pkg_global', 'pkg_scoped', 'root_global', 'root_scoped', 'cli'] as const;
const COMBOS = Array.from({ length: 32 }, (_, bits) => ({
  name: `v${bits.toString(2).padStart(5, '0')}`,
  has: (layer: number) => (bits & (1 << layer)) !== 0,
}));
const expectedFor = (combo: (typeof COMBOS)[number], forRoot: boolean): string => {
  for (let layer = LAYERS.length - 1; layer >= 0; layer--) {
    if (forRoot && layer < 2) break;
    if (combo.has(layer)) return layer === 3 && forRoot ? 'root_scoped_root' : LAYERS[layer]!;
  }
  return 'unset';
};

test('var(): every combination of the five layers resolves as dbt documents, for package and root nodes', (t) => {
  const layer = (index: number, value: string) =>
    Object.fromEntries(COMBOS.filter((c) => c.has(index)).map((c) => [c.name, value]));
  const metaOf = `{{ config(meta={${COMBOS.map((c) => `'${c.name}': var('${c.name}', 'unset')`).join(', ')}}) }}\nselect 1\n`;
  const parsed = parse(
    t,
    {
      'dbt_project.yml': `name: shop\nprofile: shop\nvars: ${yamlValue({
        ...layer(2, 'root_global'),
        pkg: layer(3, 'root_scoped'),
        shop: layer(3, 'root_scoped_root'),
      })}\n`,
      'models/root_model.sql': metaOf,
      [`${PKG}/dbt_project.yml`]: `name: pkg\nvars: ${yamlValue({ ...layer(0, 'pkg_global'), pkg: layer(1, 'pkg_scoped') })}\n`,
      [`${PKG}/models/pkg_model.sql`]: metaOf,
    },
    layer(4, 'cli'),
  );
  const pkgMeta = parsed.manifest.nodes.get('model.pkg.pkg_model')!.meta;
  const rootMeta = parsed.manifest.nodes.get('model.shop.root_model')!.meta;
  for (const combo of COMBOS) {
    assert.equal(pkgMeta[combo.name], expectedFor(combo, false), `package node, ${combo.name}`);
    assert.equal(rootMeta[combo.name], expectedFor(combo, true), `root node, ${combo.name}`);
  }
  // The same layers straight from the resolver, for a package that is not installed at all.
  const sources = { rootPackage: 'shop', rootVars: { a: 1 }, packageVars: new Map(), cliVars: {} };
  assert.equal(lookupVar(sources, 'ghost', 'a'), 1);
});

const PACKAGES = sharedPackagesDir();

test("dbt_date's own vars: its time zone applies to dbt_date's nodes only; a root var overrides it", {
  skip: PACKAGES && existsSync(join(PACKAGES, 'dbt_date')) ? false : 'shared/dbt-packages not found',
}, (t) => {
  const dir = tempDir(t);
  cpSync(join(PACKAGES!, 'dbt_date'), join(dir, 'dbt_packages/dbt_date'), { recursive: true });
  // A node of the dbt_date package (as if it shipped a model), and a root model calling var().
  writeFiles(dir, {
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'dbt_packages/dbt_date/models/tz.sql': 'select \'{{ var("dbt_date:time_zone") }}\' as tz\n',
    'models/root_tz.sql': 'select \'{{ var("dbt_date:time_zone") }}\' as tz\n',
  });
  const parsed = parseProject({ projectDir: dir, target: TARGET, env: {} });
  const sql = (id: string) => compileNode(parsed.context, parsed.manifest.nodes.get(id)!);
  assert.match(sql('model.dbt_date.tz'), /'America\/Los_Angeles'/);
  // As dbt: the package's dbt_project.yml vars never reach a root node; executing it is an error.
  assert.throws(
    () => sql('model.shop.root_tz'),
    (error: unknown) =>
      error instanceof DemaError &&
      /models\/root_tz\.sql.*required var 'dbt_date:time_zone' not found/.test(error.message),
  );
  writeFiles(dir, {
    'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  "dbt_date:time_zone": Europe/Paris\n',
  });
  const overridden = parseProject({ projectDir: dir, target: TARGET, env: {} });
  for (const id of ['model.dbt_date.tz', 'model.shop.root_tz'])
    assert.match(compileNode(overridden.context, overridden.manifest.nodes.get(id)!), /'Europe\/Paris'/);
});

test("config precedence for a package node: its tree < its YAML < config() < the root project's tree", (t) => {
  const parsed = parse(t, {
    'dbt_project.yml': `
name: shop
profile: shop
models:
  +tags: [root_all]
  pkg:
    +meta: {owner: root}
    marts:
      +materialized: table
      off: {+enabled: false}
`,
    [`${PKG}/dbt_project.yml`]: `
name: pkg
models:
  pkg:
    +materialized: ephemeral
    +schema: pkg_schema
    +meta: {owner: pkg, tier: 1}
    marts:
      +tags: [pkg_marts]
`,
    [`${PKG}/models/marts/revenue.sql`]: "{{ config(materialized='view', order_by='id') }}\nselect 1 as id\n",
    [`${PKG}/models/marts/off.sql`]: 'select 1 as id\n',
    [`${PKG}/models/staging/stg.sql`]: 'select 1 as id\n',
    [`${PKG}/models/staging/schema.yml`]:
      'version: 2\nmodels:\n  - name: stg\n    config: {materialized: table, alias: stg_alias}\n',
  });
  const revenue = parsed.manifest.nodes.get('model.pkg.revenue')!;
  assert.equal(revenue.config.materialized, 'table', "the root's tree beats the package's config()");
  assert.equal(revenue.config.order_by, 'id');
  assert.deepEqual(revenue.tags, ['pkg_marts', 'root_all'], 'tags append, the root tree last');
  assert.deepEqual(revenue.meta, { owner: 'root', tier: 1 });
  assert.equal(revenue.schema, 'analytics_pkg_schema');
  assert.deepEqual(revenue.fqn, ['pkg', 'marts', 'revenue']);
  assert.equal(revenue.originalFilePath, 'models/marts/revenue.sql');
  assert.equal(revenue.patchPath, undefined);
  assert.equal(parsed.manifest.nodes.has('model.pkg.off'), false, 'the root project disabled it');
  const stg = parsed.manifest.nodes.get('model.pkg.stg')!;
  assert.equal(stg.config.materialized, 'table', "the package's YAML beats its dbt_project.yml");
  assert.equal(stg.relationName, '`analytics_pkg_schema`.`stg_alias`');
  assert.equal(stg.patchPath, 'pkg://models/staging/schema.yml');
});

test('ref(): root project first, then the node package (or the reverse with the 1.11 flag); two-argument refs are exact', (t) => {
  const files = (flag: boolean) => ({
    'dbt_project.yml': `name: shop\nprofile: shop\nmodels:\n  pkg: {+schema: pkg}\n${flag ? 'flags:\n  require_ref_searches_node_package_before_root: true\n' : ''}`,
    'models/dup.sql': 'select 1 as id\n',
    'models/root_only.sql': 'select 1 as id\n',
    'models/uses.sql': "select * from {{ ref('dup') }} union all select * from {{ ref('pkg', 'dup') }}\n",
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/dup.sql`]: 'select 2 as id\n',
    [`${PKG}/models/own.sql`]: "select * from {{ ref('dup') }}\n",
    [`${PKG}/models/up.sql`]:
      "select * from {{ ref('root_only') }} union all select * from {{ ref('shop', 'dup') }}\n",
  });
  const plain = parse(t, files(false)).manifest.nodes;
  assert.deepEqual(plain.get('model.pkg.own')!.dependsOn, ['model.shop.dup'], 'dbt 1.x default: root first');
  assert.deepEqual(plain.get('model.shop.uses')!.dependsOn, ['model.shop.dup', 'model.pkg.dup']);
  assert.deepEqual(plain.get('model.pkg.up')!.dependsOn, ['model.shop.root_only', 'model.shop.dup']);
  const flagged = parse(t, files(true)).manifest.nodes;
  assert.deepEqual(flagged.get('model.pkg.own')!.dependsOn, ['model.pkg.dup'], 'the flag: own package first');
  assert.deepEqual(flagged.get('model.shop.uses')!.dependsOn, ['model.shop.dup', 'model.pkg.dup']);
  assert.throws(
    () =>
      parse(t, {
        [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
        [`${PKG}/models/m.sql`]: "select * from {{ ref('pkg', 'nope') }}\n",
      }),
    /dbt_packages\/pkg\/models\/m\.sql:1: model "m" depends on ref\('pkg', 'nope'\)/,
  );
});

test("generate_schema_name: the root's override names package nodes (with their fields); a package's own wins for its nodes", (t) => {
  const rootMacro =
    '{% macro generate_schema_name(custom, node) %}{{ target.schema }}_{{ node.package_name }}_{{ node.fqn | join("-") }}_{{ custom or "none" }}{% endmacro %}';
  const parsed = parse(t, {
    'macros/naming.sql': rootMacro,
    'models/r.sql': 'select 1\n',
    [`${PKG}/dbt_project.yml`]: 'name: pkg\nmodels:\n  pkg:\n    +schema: raw\n',
    [`${PKG}/models/sub/p.sql`]: 'select 1\n',
    'dbt_packages/other/dbt_project.yml': 'name: other\n',
    'dbt_packages/other/macros/naming.sql':
      '{% macro generate_schema_name(custom, node) %}other_{{ custom }}{% endmacro %}',
    'dbt_packages/other/models/o.sql': "{{ config(schema='x') }}select 1\n",
  });
  const schema = (id: string) => parsed.manifest.nodes.get(id)!.schema;
  assert.equal(schema('model.shop.r'), 'analytics_shop_shop-r_none');
  assert.equal(schema('model.pkg.p'), 'analytics_pkg_pkg-sub-p_raw');
  assert.equal(schema('model.other.o'), 'other_x', "a package's own generate_schema_name, for its nodes");
});

test('what dema cannot run in a package is a DBT_UNSUPPORTED error at its file and line', (t) => {
  const base = { [`${PKG}/dbt_project.yml`]: 'name: pkg\n' };
  const expectUnsupported = (files: Record<string, string>, where: RegExp) =>
    assert.throws(
      () => parse(t, { ...base, ...files }),
      (error: unknown) =>
        error instanceof DemaError && error.code === 'DBT_UNSUPPORTED' && where.test(error.message),
    );
  expectUnsupported(
    {
      [`${PKG}/snapshots/snap.sql`]:
        "\n{% snapshot snap %}{{ config(strategy='timestamp', unique_key='id', updated_at='u', target_database='x') }}select 1{% endsnapshot %}\n",
    },
    /^dbt_packages\/pkg\/snapshots\/snap\.sql:2: snapshot "snap": target_database/,
  );
  expectUnsupported(
    { [`${PKG}/models/py.py`]: 'def model(dbt, s):\n  return 1\n' },
    /^dbt_packages\/pkg\/models\/py\.py:1/,
  );
  expectUnsupported(
    { [`${PKG}/models/schema.yml`]: 'version: 2\nmodels:\n  - name: m\n    versions: [{v: 1}]\n' },
    /^dbt_packages\/pkg\/models\/schema\.yml:4: model versions/,
  );
});

test('a package model and a root model that would build the same relation are a parse error naming both', (t) => {
  const files = {
    'models/orders.sql': 'select 1 as id\n',
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/orders.sql`]: 'select 2 as id\n',
  };
  assert.throws(
    () => parse(t, files),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'PARSE_PROJECT' &&
      error.message.includes('`analytics`.`orders` would be built by two nodes') &&
      error.message.includes('model.pkg.orders (dbt_packages/pkg/models/orders.sql)'),
  );
  // Either fix of the hint parses: a schema for the package, or disabling its model.
  for (const config of ['  pkg:\n    +schema: pkg\n', '  pkg:\n    orders: {+enabled: false}\n']) {
    const parsed = parse(t, { ...files, 'dbt_project.yml': `name: shop\nprofile: shop\nmodels:\n${config}` });
    assert.equal(parsed.manifest.nodes.get('model.shop.orders')!.relationName, '`analytics`.`orders`');
  }
});

test("a root source with overrides: patches the package's source (shallow, per table) and is no source of its own", (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/sources.yml': `
version: 2
sources:
  - name: raw
    overrides: pkg
    schema: my_raw
    tables:
      - name: orders
        identifier: orders_v2
  - name: ghost
    overrides: not_installed
`,
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/src.yml`]: `
version: 2
sources:
  - name: raw
    schema: pkg_raw
    loaded_at_field: loaded_at
    tables:
      - name: orders
      - name: customers
        identifier: customers_tbl
`,
    [`${PKG}/models/m.sql`]: "select * from {{ source('raw', 'orders') }}\n",
  });
  const warnings: string[] = [];
  const parsed = parseProject({
    projectDir: dir,
    target: TARGET,
    env: {},
    log: (level, message) => level === 'warn' && warnings.push(message),
  });
  const nodes = parsed.manifest.nodes;
  assert.equal(nodes.get('source.pkg.raw.orders')!.relationName, '`my_raw`.`orders_v2`');
  assert.equal(nodes.get('source.pkg.raw.customers')!.relationName, '`my_raw`.`customers_tbl`');
  assert.equal(
    nodes.get('source.pkg.raw.customers')!.source!.loadedAtField,
    'loaded_at',
    'keys not overridden stay',
  );
  assert.ok(
    ![...nodes.keys()].some((id) => id.startsWith('source.shop.')),
    'an override is no source of its own',
  );
  assert.deepEqual(nodes.get('model.pkg.m')!.dependsOn, ['source.pkg.raw.orders']);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /^models\/sources\.yml:\d+: source "ghost" overrides not_installed's, but no package/,
  );
});

test("a package's exposures are in the manifest under the package, with its own paths", (t) => {
  const parsed = parse(t, {
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/m.sql`]: 'select 1 as id\n',
    [`${PKG}/models/exposures.yml`]:
      "version: 2\nexposures:\n  - name: dash\n    type: dashboard\n    owner: {name: ops}\n    depends_on: [ref('m')]\n",
  });
  const dash = parsed.manifest.exposures!.get('exposure.pkg.dash')!;
  assert.equal(dash.packageName, 'pkg');
  assert.equal(dash.path, 'models/exposures.yml');
  assert.deepEqual(dash.dependsOn, ['model.pkg.m']);
});

test("a package's schema test tests the package's model even when the root has one of the same name", (t) => {
  const parsed = parse(t, {
    'dbt_project.yml': 'name: shop\nprofile: shop\nmodels:\n  pkg: {+schema: pkg}\n',
    'models/orders.sql': 'select 1 as id\n',
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/orders.sql`]: 'select 2 as id\n',
    [`${PKG}/models/schema.yml`]:
      'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique]\n',
  });
  const tests = [...parsed.manifest.nodes.values()].filter((n) => n.resourceType === 'test');
  assert.equal(tests.length, 1);
  assert.equal(tests[0]!.packageName, 'pkg');
  assert.deepEqual(tests[0]!.dependsOn, ['model.pkg.orders']);
  assert.equal(tests[0]!.originalFilePath, 'models/schema.yml');
  assert.match(compileNode(parsed.context, tests[0]!), /`analytics_pkg`\.`orders`/);
});

test("a package's dbt_project.yml is rendered as the root's (var from --vars only), errors naming it", (t) => {
  const files = {
    [`${PKG}/dbt_project.yml`]: 'name: pkg\nmodels:\n  pkg:\n    +schema: "{{ var(\'pkg_schema\') }}"\n',
    [`${PKG}/models/m.sql`]: 'select 1\n',
  };
  assert.throws(
    () => parse(t, files),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'PARSE_PROJECT' &&
      error.message.startsWith("dbt_packages/pkg/dbt_project.yml: var('pkg_schema') is not set"),
  );
  const parsed = parse(t, files, { pkg_schema: 'given' });
  assert.equal(parsed.manifest.nodes.get('model.pkg.m')!.schema, 'analytics_given');
});

test('a ref to a package model the root project disabled names it as disabled', (t) => {
  assert.throws(
    () =>
      parse(t, {
        'dbt_project.yml': 'name: shop\nprofile: shop\nmodels:\n  pkg:\n    off: {+enabled: false}\n',
        'models/uses.sql': "select * from {{ ref('off') }}\n",
        [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
        [`${PKG}/models/off.sql`]: 'select 1 as id\n',
      }),
    (error: unknown) =>
      error instanceof DemaError &&
      error.message.startsWith(
        `models/uses.sql:1: model "uses" depends on ref('off'), which was not found.`,
      ) &&
      /model\.pkg\.off is disabled/.test(error.hint ?? ''),
  );
});

test("each kind of file is read from its own package's folders only (the root's analyses stay the root's)", (t) => {
  const kinds = {
    model: 'models/k_model.sql',
    analysis: 'analyses/k_analysis.sql',
    test: 'tests/k_test.sql',
    seed: 'seeds/k_seed.csv',
  } as const;
  const body = (path: string) => (path.endsWith('.csv') ? 'id\n1\n' : 'select 1 as id\n');
  const rootFiles = Object.fromEntries(Object.values(kinds).map((path) => [path, body(path)]));
  const parsed = parse(t, { ...rootFiles, [`${PKG}/dbt_project.yml`]: 'name: pkg\n' });
  const ids = [...parsed.manifest.nodes.keys()].filter((id) => id.includes('.k_'));
  assert.deepEqual(
    ids.sort(),
    Object.entries(kinds)
      .map(([kind, path]) => `${kind}.shop.${path.split('/')[1]!.split('.')[0]}`)
      .sort(),
  );
});

test("a package's analyses and snapshots are nodes of the package (not refused, not skipped)", (t) => {
  const parsed = parse(t, {
    [`${PKG}/dbt_project.yml`]: 'name: pkg\n',
    [`${PKG}/models/m.sql`]: 'select 1 as id\n',
    [`${PKG}/analyses/a.sql`]: "select * from {{ ref('m') }}\n",
    [`${PKG}/snapshots/s.sql`]:
      "{% snapshot s %}{{ config(strategy='check', check_cols='all', unique_key='id') }}select * from {{ ref('m') }}{% endsnapshot %}\n",
  });
  const analysis = parsed.manifest.nodes.get('analysis.pkg.a');
  assert.ok(analysis, 'the package analysis is a node');
  assert.equal(analysis.resourceType, 'analysis');
  assert.equal(parsed.manifest.nodes.get('snapshot.pkg.s')?.resourceType, 'snapshot');
});
