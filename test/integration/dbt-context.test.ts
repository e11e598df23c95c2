import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { SERVER_PORT, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * dbt's Jinja context as real projects use it (generate_schema_name reading node.resource_type,
 * Jinja in dbt_project.yml, a generic test reading its model's columns, adapter methods), dbt's
 * leniency, and where ClickHouse is made to meet standard SQL: join-qualified column names,
 * custom_settings on chDB, empty seed cells as NULL.
 */

type Done = { uniqueId: string; status: string; message: string };
const done = (events: Record<string, unknown>[]) =>
  new Map(
    (events.filter((e) => e.type === 'dbt.node.done') as unknown as Done[]).map((e) => [
      e.uniqueId.split('.')[2]!,
      e,
    ]),
  );

function contextProject(dir: string): void {
  writeFiles(dir, {
    'dbt_project.yml': `
name: ctx
profile: ctx
vars:
  as_view: true
models:
  ctx:
    +materialized: "{{ 'table' if target.name == 'dev' else 'view' }}"
    optional:
      +enabled: "{{ var('load_source_data', false) }}"
    marts:
      +schema: "{{ 'mar' ~ 'ts' }}"
    raw_names:
      +standard_column_names: false
seeds:
  ctx:
    plain:
      +infer_nullable: false
on-run-end:
  - "{{ drop_scratch() }}"
`,
    'profiles.yml': `ctx:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: ctx, custom_settings: {join_use_nulls: 1}}\n`,
    'macros/naming.sql': `
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if node.resource_type == 'seed' -%}{{ target.schema }}_seeds
  {%- elif custom_schema_name is none -%}{{ target.schema }}
  {%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
{% macro rel(name) %}{{ return(api.Relation.create(schema=target.schema, identifier=name)) }}{% endmacro %}
{% macro drop_scratch() -%}
  {%- if execute -%}
    {%- do adapter.drop_relation(rel('scratch')) -%}
    {%- do adapter.rename_relation(rel('scratch2'), rel('renamed')) -%}
    {%- do adapter.truncate_relation(rel('renamed')) -%}
    {%- if target.schema not in adapter.list_schemas(target.database) -%}{{ exceptions.raise_compiler_error('list_schemas') }}{%- endif -%}
    {%- set names = [] -%}
    {%- for r in adapter.list_relations_without_caching(rel('')) -%}{%- do names.append(r.identifier) -%}{%- endfor -%}
    {%- if 'scratch' in names or 'scratch2' in names or 'renamed' not in names -%}{{ exceptions.raise_compiler_error('list_relations ' ~ names) }}{%- endif -%}
    {%- if not adapter.check_schema_exists(target.database, target.schema) -%}{{ exceptions.raise_compiler_error('check_schema_exists') }}{%- endif -%}
    {%- if adapter.check_schema_exists(target.database, 'no_such_schema_x') -%}{{ exceptions.raise_compiler_error('check_schema_exists x') }}{%- endif -%}
  {%- endif -%}
  select 1
{%- endmacro %}
`,
    'tests/generic/has_columns.sql': `
{% test has_columns(model, n) %}
select '{{ model.schema }}.{{ model.identifier }}' as rel
from system.one
where {{ adapter.get_columns_in_relation(model) | length }} != {{ n }} or '{{ model.identifier }}' = ''
{% endtest %}
`,
    'seeds/people.csv': 'id,name,score\n1,Ann,\n2,,3\n',
    'seeds/plain.csv': 'id,name\n1,\n',
    'models/scratch.sql': 'select 1 as id\n',
    'models/scratch2.sql': 'select 1 as id\n',
    'models/context_names.sql': `
select
  '{{ model.resource_type }}' as resource_type,
  '{{ model.unique_id }}' as unique_id,
  '{{ model.fqn | join(".") }}' as fqn,
  '{{ model.package_name }}|{{ model.original_file_path }}|{{ model.path }}' as paths,
  '{{ this.identifier }}|{{ this.schema }}' as this_rel,
  '{{ tojson({"a": 1, "é": [true, none]}) }}|{{ fromjson("[1, 2]") | length }}|{{ fromyaml("a: 2").a }}|{{ toyaml({"b": 3}) | trim }}' as serde,
  '{{ local_md5("abc") }}' as md5,
  '{{ dict(a=1).a }}|{{ zip([1, 2], [3, 4]) | length }}|{{ set([1, 1, 2]) | length }}' as pyfuncs,
  '{{ invocation_id | length }}|{{ flags.WHICH }}|{{ 1 if "model.ctx.context_names" in selected_resources else 0 }}' as invocation,
  '{{ builtins.ref("people").identifier }}|{{ ref("people").schema }}' as refs,
  '{{ 1 if api.Column.create("c", "Nullable(String)").is_string() else 0 }}' as api_column
`,
    'models/optional/maybe.sql': 'select 1 as id\n',
    'models/marts/joined.sql': `
select a.id, a.name, b.score, c.n
from {{ ref('people') }} a
join {{ ref('people') }} b on a.id = b.id
join (select toInt32(number + 1) as id, number as n from numbers(5)) c on a.id = c.id
`,
    'models/marts/downstream.sql': "select id, name, n from {{ ref('joined') }}\n",
    'models/raw_names/raw_joined.sql': `
select a.id, c.n
from {{ ref('people') }} a
join {{ ref('people') }} b on a.id = b.id
join (select toInt32(number + 1) as id, number as n from numbers(5)) c on a.id = c.id
`,
    'models/left_joined.sql':
      "select a.id, b.v from {{ ref('people') }} a left join (select toInt32(1) as id, 'x' as v) b on a.id = b.id\n",
    'models/schema.yml': `
version: 2
models:
  - name: joined
    columns:
      - name: id
        data_tests: [not_null, unique]
    data_tests:
      - has_columns: {n: 4}
  - name: no_such_model
    description: described, but there is no file
  - name: context_names
    config:
      materialized: "{{ 'view' if var('as_view') else 'table' }}"
`,
  });
}

test('a project using dbt context, Jinja in dbt_project.yml and standard SQL names builds', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  contextProject(dir);
  const build = await runCli(['build', '--json'], { cwd: dir });
  const results = done(build.events);
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const warnings = build.events.filter((e) => e.type === 'log' && e.level === 'warn').map((e) => e.message);
  assert.ok(
    warnings.some((m) => /models\/schema\.yml:\d+: model "no_such_model" is described/.test(String(m))),
    JSON.stringify(warnings),
  );

  // generate_schema_name sees node.resource_type: seeds land in ctx_seeds; +schema rendered.
  const tables = await queryStore<{ database: string; name: string; engine: string }>(
    store,
    'ctx',
    "select database, name, engine from system.tables where database like 'ctx%' order by database, name",
  );
  const where = Object.fromEntries(tables.map((row) => [row.name, `${row.database} ${row.engine}`]));
  assert.equal(where.people, 'ctx_seeds MergeTree');
  assert.equal(where.joined, 'ctx_marts MergeTree', '+schema and +materialized are rendered');
  assert.equal(where.context_names, 'ctx View', 'Jinja in a schema YAML config: sees project vars');
  assert.equal(where.maybe, undefined, "+enabled: {{ var('load_source_data', false) }} disables it");
  assert.equal(where.scratch, undefined, 'adapter.drop_relation dropped it in on-run-end');
  assert.equal(where.scratch2, undefined, 'adapter.rename_relation renamed it');
  assert.equal(where.renamed, 'ctx MergeTree');
  const [renamed] = await queryStore<{ n: string }>(store, 'ctx', 'select count() as n from renamed');
  assert.equal(Number(renamed?.n), 0, 'adapter.truncate_relation emptied it');
  assert.equal(results.get('scratch')?.status, 'success');
  assert.equal([...results.keys()].filter((id) => id.startsWith('has_columns')).length, 1);
  assert.ok([...results.values()].every((r) => ['success', 'pass'].includes(r.status)));

  const [names] = await queryStore<Record<string, string>>(store, 'ctx', 'select * from context_names');
  assert.deepEqual(names, {
    resource_type: 'model',
    unique_id: 'model.ctx.context_names',
    fqn: 'ctx.context_names',
    paths: 'ctx|models/context_names.sql|context_names.sql',
    this_rel: 'context_names|ctx',
    serde: '{"a": 1, "\\u00e9": [true, null]}|2|2|b: 3',
    md5: '900150983cd24fb0d6963f7d28e17f72',
    pyfuncs: '1|2|2',
    invocation: '36|build|1',
    refs: 'people|ctx_seeds',
    api_column: '1',
  });

  // Join-qualified names: published as `id` when unique; kept when switched off.
  const columns = async (table: string) =>
    (
      await queryStore<{ name: string; type: string }>(
        store,
        'ctx',
        `select name, type from system.columns where table = '${table}' order by position`,
      )
    ).map((c) => `${c.name} ${c.type}`);
  assert.deepEqual(await columns('downstream'), ['id Int32', 'name Nullable(String)', 'n UInt64']);
  assert.deepEqual(await columns('raw_joined'), ['a.id Int32', 'n UInt64']);

  // Seeds: an empty cell is NULL (Nullable inferred) unless infer_nullable is false.
  const people = await queryStore<{ name: string | null; score: number | null }>(
    store,
    'ctx',
    'select name, score from ctx_seeds.people order by id',
  );
  assert.deepEqual(people, [
    { name: 'Ann', score: null },
    { name: null, score: 3 },
  ]);
  assert.deepEqual(await columns('plain'), ['id Int32', 'name String']);

  // custom_settings apply on chDB: join_use_nulls makes the unmatched row NULL, not ''.
  const left = await queryStore<{ id: number; v: string | null }>(
    store,
    'ctx',
    'select id, v from left_joined order by id',
  );
  assert.deepEqual(left, [
    { id: 1, v: 'x' },
    { id: 2, v: null },
  ]);

  // A var from --vars reaches dbt_project.yml.
  const withVar = await runCli(['run', '--select', 'maybe', '--vars', '{load_source_data: true}', '--json'], {
    cwd: dir,
  });
  assert.equal(done(withVar.events).get('maybe')?.status, 'success', withVar.stdout);
});

test("snapshot_meta_column_names, unit tests' versions, model versions and Python models are coded errors with file:line", async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      {
        'models/schema.yml':
          'version: 2\nunit_tests:\n  - name: t1\n    model: m\n    versions: {include: [1]}\n',
      },
      /models\/schema\.yml:3: unit test "t1": versions: is not supported/,
    ],
    [
      {
        'snapshots/snap.sql':
          "\n{% snapshot s %}\n{{ config(strategy='check', unique_key='id', check_cols='all', snapshot_meta_column_names={'dbt_valid_to': 'valid_to'}) }}\nselect 1 as id\n{% endsnapshot %}\n",
      },
      /snapshots\/snap\.sql:2: snapshot "s": snapshot_meta_column_names/,
    ],
    [
      { 'models/schema.yml': 'version: 2\nmodels:\n  - name: m\n    versions:\n      - v: 1\n' },
      /models\/schema\.yml:5: model versions/,
    ],
    [
      { 'models/py_model.py': 'def model(dbt, session):\n  return 1\n' },
      /models\/py_model\.py:1: a Python model/,
    ],
  ];
  for (const [files, message] of cases) {
    const dir = tempDir(t);
    writeFiles(dir, {
      ...chdbProject('u', join(dir, 'warehouse')),
      'models/m.sql': 'select 1 as id\n',
      ...files,
    });
    const result = await runCli(['build', '--json'], { cwd: dir });
    assert.equal(result.code, 2, result.stdout);
    const error = result.events.find((e) => e.type === 'error');
    assert.equal(error?.code, 'DBT_UNSUPPORTED', result.stdout);
    assert.match(String(error?.message), message);
  }
});

test('on the server too, an empty seed cell is NULL and generate_schema_name sees the node', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const dir = tempDir(t);
  const schema = `dbt_ctx_${randomBytes(4).toString('hex')}`;
  const sql = (body: string) =>
    fetch(`http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4&default_format=JSONEachRow`, {
      method: 'POST',
      body,
    }).then((response) => response.text());
  t.after(async () => {
    await sql(`DROP DATABASE IF EXISTS ${schema}`);
    await sql(`DROP DATABASE IF EXISTS ${schema}_seeds`);
  });
  writeFiles(dir, {
    'dbt_project.yml': 'name: ctx\nprofile: ctx\n',
    'profiles.yml': `ctx:\n  target: s\n  outputs:\n    s: {type: clickhouse, host: 127.0.0.1, port: ${SERVER_PORT}, user: dema, password: d3m4, schema: ${schema}}\n`,
    'macros/naming.sql':
      "{% macro generate_schema_name(custom_schema_name, node) -%}{{ target.schema }}{% if node.resource_type == 'seed' %}_seeds{% endif %}{%- endmacro %}\n",
    'seeds/people.csv': 'id,name,score\n1,"Ann, A",\n2,,3.5\n',
  });
  const seed = await runCli(['seed', '--json'], { cwd: dir });
  assert.equal(seed.code, 0, seed.stdout);
  const rows = (await sql(`select id, name, score from ${schema}_seeds.people order by id`))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(rows, [
    { id: 1, name: 'Ann, A', score: null },
    { id: 2, name: null, score: 3.5 },
  ]);
});
