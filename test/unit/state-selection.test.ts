import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildManifest } from '../../src/dbt/artifacts/artifacts.ts';
import { selectNodes } from '../../src/dbt/graph/select.ts';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { stateMethods } from '../../src/dbt/state/methods.ts';
import { loadPreviousState } from '../../src/dbt/state/previous-state.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

// state: selection as dbt documents it (selector_methods.py StateSelectorMethod): a baseline
// project's manifest is written as dema writes target/manifest.json, one change is made, and the
// selection must take exactly the nodes that change touches — and not the ones it does not.

const FILES: Record<string, string> = {
  'dbt_project.yml': 'name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n',
  'macros/m.sql':
    '{% macro double(x) %}{{ inner(x) }} * 2{% endmacro %}\n{% macro inner(x) %}({{ x }}){% endmacro %}\n{% macro unused() %}1{% endmacro %}\n',
  'seeds/s.csv': 'id,v\n1,10\n2,20\n',
  'models/a.sql': "select id, {{ double('v') }} as v2 from {{ ref('s') }}\n",
  'models/b.sql': "select id from {{ ref('a') }}\n",
  'models/c.sql': 'select 1 as x\n',
  'models/schema.yml': `version: 2
models:
  - name: a
    description: model a
    config: {persist_docs: {relation: true, columns: true}}
    columns:
      - name: id
        description: the id
  - name: c
    description: model c
    columns:
      - name: x
        description: an x
`,
};

const TARGET = (schema: string) => ({ schema, name: schema, type: 'clickhouse' });

function parse(dir: string, schema = 'dev') {
  return parseProject({ projectDir: dir, target: TARGET(schema), cliVars: {}, env: {} });
}

/** A baseline project with its manifest in `state/`; `select` parses the project as it is now. */
function fixture(t: Parameters<typeof tempDir>[0], files = FILES) {
  const dir = tempDir(t);
  writeFiles(dir, files);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'manifest.json'), JSON.stringify(buildManifest(parse(dir), 'baseline')));
  const select = (spec: string, schema = 'dev') => {
    const parsed = parse(dir, schema);
    const methods = stateMethods(parsed, loadPreviousState(stateDir, dir));
    const chosen = selectNodes(parsed.graph, { select: [spec], exclude: [], methods });
    return [...chosen]
      .map((id) => parsed.manifest.nodes.get(id)!)
      .filter((node) => node.resourceType !== 'test')
      .map((node) => node.name)
      .sort();
  };
  return { dir, stateDir, select, write: (more: Record<string, string>) => writeFiles(dir, more) };
}

test('state: nothing changed selects nothing modified and everything unmodified/old', (t) => {
  const { select } = fixture(t);
  assert.deepEqual(select('state:modified'), []);
  assert.deepEqual(select('state:new'), []);
  assert.deepEqual(select('state:unmodified'), ['a', 'b', 'c', 's']);
  assert.deepEqual(select('state:old'), ['a', 'b', 'c', 's']);
  // The relation's configured values are compared, not the rendered names: another target schema is no change.
  assert.deepEqual(select('state:modified', 'ci_1234'), []);
});

test('state:new and state:modified.body (SQL file and seed CSV checksums)', (t) => {
  const { select, write } = fixture(t);
  write({ 'models/d.sql': "select x from {{ ref('c') }}\n" });
  assert.deepEqual(select('state:new'), ['d']);
  assert.deepEqual(select('state:modified'), ['d'], 'a new node is modified');
  write({ 'models/c.sql': 'select 2 as x\n' });
  assert.deepEqual(select('state:modified.body'), ['c', 'd']);
  assert.deepEqual(select('state:modified.configs'), ['d'], 'a body change is no config change');
  write({ 'models/c.sql': 'select 1 as x\n', 'seeds/s.csv': 'id,v\n1,10\n2,21\n' });
  assert.deepEqual(select('state:modified.body'), ['d', 's']);
  assert.deepEqual(select('state:modified.body+'), ['a', 'b', 'd', 's'], 'graph operators apply');
  assert.deepEqual(select('state:unmodified'), ['a', 'b', 'c']);
});

test('state:modified.configs: a config change matches; tags, schema and alias are not configs', (t) => {
  const { select, write } = fixture(t);
  write({ 'models/c.sql': "{{ config(tags=['nightly']) }}\nselect 1 as x\n" });
  assert.deepEqual(select('state:modified.configs'), []);
  write({
    'models/c.sql': 'select 1 as x\n',
    'dbt_project.yml':
      'name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n    b: {+order_by: id}\n',
  });
  assert.deepEqual(select('state:modified.configs'), ['b']);
  assert.deepEqual(select('state:modified.body'), [], 'a project-file config is no body change');
  assert.deepEqual(select('state:modified'), ['b']);
  write({
    'dbt_project.yml':
      'name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: view\n    c: {+materialized: table}\n',
  });
  assert.deepEqual(select('state:modified.configs'), ['a', 'b'], 'materialized table → view');
});

test('state:modified.relation: configured schema/alias changes match, nothing else does', (t) => {
  const { select, write } = fixture(t);
  write({
    'models/c.sql': "{{ config(alias='c_renamed') }}\nselect 1 as x\n",
    'models/b.sql': "{{ config(order_by='id') }}\nselect id from {{ ref('a') }}\n",
  });
  assert.deepEqual(select('state:modified.relation'), ['c']);
  write({
    'dbt_project.yml':
      'name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n    a: {+schema: marts}\n',
  });
  assert.deepEqual(select('state:modified.relation'), ['a', 'c']);
  assert.deepEqual(select('state:modified.configs'), ['b'], 'schema and alias are relation, not configs');
});

test('state:modified.persisted_descriptions: only where persist_docs writes them', (t) => {
  const { select, write } = fixture(t);
  write({
    'models/schema.yml': FILES['models/schema.yml']!.replace('model c', 'model C').replace('an x', 'an X'),
  });
  assert.deepEqual(select('state:modified.persisted_descriptions'), [], 'c does not persist docs');
  assert.deepEqual(select('state:modified'), []);
  write({ 'models/schema.yml': FILES['models/schema.yml']!.replace('model a', 'model A') });
  assert.deepEqual(select('state:modified.persisted_descriptions'), ['a']);
  write({ 'models/schema.yml': FILES['models/schema.yml']!.replace('the id', 'the ID') });
  assert.deepEqual(
    select('state:modified.persisted_descriptions'),
    ['a'],
    'column descriptions with columns: true',
  );
  assert.deepEqual(select('state:modified'), ['a']);
});

test('state:modified.macros: a macro the node calls, directly or through another, changed', (t) => {
  const { select, write } = fixture(t);
  write({ 'macros/m.sql': FILES['macros/m.sql']!.replace('{% macro unused() %}1', '{% macro unused() %}2') });
  assert.deepEqual(select('state:modified.macros'), [], 'a macro no node calls');
  write({ 'macros/m.sql': FILES['macros/m.sql']!.replace('({{ x }})', '(({{ x }}))') });
  assert.deepEqual(select('state:modified.macros'), ['a'], 'inner() through double()');
  assert.deepEqual(select('state:modified'), ['a']);
  assert.deepEqual(select('state:modified.body'), []);
  assert.deepEqual(select('state:modified.contract'), [], 'dema has no contracts: never modified');
  assert.deepEqual(select('state:modified+'), ['a', 'b']);
});

test('a state manifest in dbt-core shape (hand-written from the v12 schema) is read', (t) => {
  const dir = tempDir(t);
  writeFiles(dir, FILES);
  // dbt's file checksum, computed here from the bytes (not taken from dema's parse).
  const sha = (file: string) =>
    createHash('sha256')
      .update(readFileSync(join(dir, file)))
      .digest('hex');
  // What dbt-core writes (as read from its schema): a full `config` with every default, the
  // `unrendered_config` with only what the project sets, hooks as objects, file checksums, and
  // macros as their whole source text with depends_on.macros.
  const dbtConfig = (materialized: string, extra = {}) => ({
    enabled: true,
    alias: null,
    schema: null,
    database: null,
    tags: [],
    meta: {},
    group: null,
    materialized,
    incremental_strategy: null,
    persist_docs: {},
    'post-hook': [],
    'pre-hook': [],
    quoting: {},
    column_types: {},
    full_refresh: null,
    unique_key: null,
    on_schema_change: 'ignore',
    on_configuration_change: 'apply',
    grants: {},
    packages: [],
    docs: { show: true, node_color: null },
    contract: { enforced: false, alias_types: true },
    access: 'protected',
    ...extra,
  });
  const node = (name: string, extra: Record<string, unknown>) => ({
    database: '',
    schema: 'prod',
    name,
    resource_type: 'model',
    package_name: 'shop',
    path: `${name}.sql`,
    original_file_path: `models/${name}.sql`,
    unique_id: `model.shop.${name}`,
    fqn: ['shop', name],
    alias: name,
    description: '',
    columns: {},
    meta: {},
    tags: [],
    checksum: { name: 'sha256', checksum: name === 's' ? sha('seeds/s.csv') : sha(`models/${name}.sql`) },
    relation_name: `\`prod\`.\`${name}\``,
    language: 'sql',
    ...extra,
  });
  const manifest = {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      dbt_version: '1.9.4',
    },
    nodes: {
      'model.shop.a': node('a', {
        config: dbtConfig('table', { persist_docs: { relation: true, columns: true } }),
        unrendered_config: { materialized: 'table', persist_docs: { relation: true, columns: true } },
        description: 'model a',
        columns: { id: { name: 'id', description: 'the id', meta: {}, data_type: null, tags: [] } },
        depends_on: { macros: ['macro.shop.double'], nodes: ['seed.shop.s'] },
      }),
      'model.shop.b': node('b', {
        config: dbtConfig('table', { 'post-hook': [{ sql: 'select 1', transaction: true, index: null }] }),
        unrendered_config: { materialized: 'table', post_hook: 'select 1' },
        depends_on: { macros: [], nodes: ['model.shop.a'] },
      }),
      'model.shop.c': node('c', {
        config: dbtConfig('table'),
        unrendered_config: { materialized: 'table' },
        description: 'model c',
        depends_on: { macros: [], nodes: [] },
      }),
      'seed.shop.s': {
        ...node('s', {}),
        resource_type: 'seed',
        unique_id: 'seed.shop.s',
        original_file_path: 'seeds/s.csv',
        path: 's.csv',
        config: { ...dbtConfig('seed'), delimiter: ',', quote_columns: null },
        unrendered_config: {},
        checksum: { name: 'sha256', checksum: sha('seeds/s.csv') },
        depends_on: { macros: [], nodes: [] },
      },
      'test.shop.not_null_c_x.5c3ae2b9a7': {
        resource_type: 'test',
        checksum: { name: 'none', checksum: '' },
      },
    },
    sources: {},
    macros: {
      'macro.shop.double': {
        unique_id: 'macro.shop.double',
        name: 'double',
        package_name: 'shop',
        resource_type: 'macro',
        macro_sql: '{% macro double(x) %}{{ inner(x) }} * 2{% endmacro %}',
        depends_on: { macros: ['macro.shop.inner'] },
      },
      'macro.shop.inner': {
        unique_id: 'macro.shop.inner',
        name: 'inner',
        package_name: 'shop',
        resource_type: 'macro',
        macro_sql: '{%- macro inner(x) -%}({{ x }}){%- endmacro %}',
        depends_on: { macros: [] },
      },
      'macro.shop.unused': {
        unique_id: 'macro.shop.unused',
        name: 'unused',
        package_name: 'shop',
        resource_type: 'macro',
        macro_sql: '{% macro unused() %}1{% endmacro %}',
        depends_on: { macros: [] },
      },
      'macro.dbt.is_incremental': { unique_id: 'macro.dbt.is_incremental', macro_sql: 'dbt-core code' },
    },
  };
  const stateDir = join(dir, 'prod-target');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'manifest.json'), JSON.stringify(manifest));
  const select = (spec: string) => {
    const now = parse(dir);
    const chosen = selectNodes(now.graph, {
      select: [spec],
      exclude: [],
      methods: stateMethods(now, loadPreviousState(stateDir, dir)),
    });
    return [...chosen].filter((id) => !id.startsWith('test.')).sort();
  };
  // b's post-hook is in the state, not in the project: a config change; the rest is the same.
  assert.deepEqual(select('state:modified'), ['model.shop.b']);
  assert.deepEqual(select('state:modified.configs'), ['model.shop.b']);
  writeFiles(dir, { 'models/b.sql': "{{ config(post_hook='select 1') }}\nselect id from {{ ref('a') }}\n" });
  assert.deepEqual(select('state:modified.configs'), []);
  assert.deepEqual(select('state:modified.body'), ['model.shop.b']);
  writeFiles(dir, { 'macros/m.sql': FILES['macros/m.sql']!.replace('({{ x }})', '[{{ x }}]') });
  assert.deepEqual(select('state:modified.macros'), ['model.shop.a']);
  rmSync(join(dir, 'models/c.sql'));
  writeFiles(dir, { 'models/schema.yml': FILES['models/schema.yml']!.replace(/ {2}- name: c[\s\S]*$/, '') });
  assert.deepEqual(select('state:old'), ['model.shop.a', 'model.shop.b', 'seed.shop.s']);
});

test('result:<status> from run_results.json, with graph operators; coded errors without the artifacts', (t) => {
  const { dir, stateDir, select } = fixture(t);
  const results = (rows: [string, string][]) =>
    writeFileSync(
      join(stateDir, 'run_results.json'),
      JSON.stringify({ results: rows.map(([unique_id, status]) => ({ unique_id, status })), args: {} }),
    );
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof DemaError, String(error));
      return `${error.code}: ${error.message}`;
    }
    assert.fail('expected an error');
  };
  assert.match(
    code(() => select('result:error')),
    /^USAGE: .*no comparison run_results.*run_results\.json/,
  );
  results([
    ['seed.shop.s', 'success'],
    ['model.shop.a', 'error'],
    ['model.shop.b', 'skipped'],
    ['model.shop.c', 'success'],
  ]);
  assert.deepEqual(select('result:error'), ['a']);
  assert.deepEqual(select('result:error+'), ['a', 'b']);
  assert.deepEqual(select('result:success'), ['c', 's']);
  assert.deepEqual(select('result:fail'), []);
  assert.match(
    code(() => select('result:broken')),
    /^SELECT_INVALID/,
  );
  assert.match(
    code(() => select('state:changed')),
    /^SELECT_INVALID/,
  );
  // A state method with no --state at all, and a --state directory without a manifest.
  const parsed = parse(dir);
  assert.match(
    code(() => selectNodes(parsed.graph, { select: ['state:modified'], exclude: [] })),
    /^USAGE: .*no comparison manifest/,
  );
  assert.match(
    code(() => loadPreviousState(join(dir, 'nowhere'), dir)),
    /^USAGE: .*nowhere\/manifest\.json/,
  );
  writeFileSync(join(stateDir, 'manifest.json'), '{"nodes": ');
  assert.match(
    code(() => loadPreviousState(stateDir, dir)),
    /^USAGE: .*not valid JSON/,
  );
});

test('generic tests: a config change is modified; changed arguments make a new test (its name holds them)', (t) => {
  const withTest = (test: string) =>
    FILES['models/schema.yml']!.replace(
      '        description: an x\n',
      `        description: an x\n        tests:\n          - ${test}\n`,
    );
  const { dir, stateDir, write } = fixture(t, {
    ...FILES,
    'models/schema.yml': withTest('accepted_values: {values: [1, 2]}'),
  });
  const tests = (spec: string) => {
    const parsed = parse(dir);
    const methods = stateMethods(parsed, loadPreviousState(stateDir, dir));
    return [...selectNodes(parsed.graph, { select: [spec], exclude: [], methods })]
      .filter((id) => id.startsWith('test.'))
      .map((id) => parsed.manifest.nodes.get(id)!.name)
      .sort();
  };
  assert.deepEqual(tests('state:modified'), []);
  write({ 'models/schema.yml': withTest('accepted_values: {values: [1, 2], config: {severity: warn}}') });
  assert.deepEqual(tests('state:modified.configs'), ['accepted_values_c_x__1__2']);
  assert.deepEqual(tests('state:modified'), ['accepted_values_c_x__1__2']);
  write({ 'models/schema.yml': withTest('accepted_values: {values: [1, 3]}') });
  assert.deepEqual(tests('state:new'), ['accepted_values_c_x__1__3']);
});
