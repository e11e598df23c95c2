import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalog, catalogRelations, relationType } from '../../src/docs/catalog.ts';
import { columnLineage } from '../../src/docs/column-lineage.ts';
import { buildDocsData, type Manifest } from '../../src/docs/docs-data.ts';
import { resolveInside } from '../../src/docs/serve.ts';
import { embedJson } from '../../src/docs/site.ts';

const model = (name: string, extra: Record<string, unknown> = {}) => ({
  unique_id: `model.p.${name}`,
  resource_type: 'model',
  name,
  alias: name,
  schema: 's',
  config: { materialized: 'table' },
  ...extra,
});

test('catalog: system rows map to dbt catalog v1 entries (golden)', () => {
  const relations = catalogRelations([
    model('orders'),
    model('orders_v', { config: { materialized: 'view' } }),
    model('eph', { config: { materialized: 'ephemeral' } }),
    model('never_built'),
    {
      unique_id: 'source.p.raw.o',
      resource_type: 'source',
      name: 'o',
      identifier: 'raw_orders',
      schema: 'land',
    },
    { unique_id: 'test.p.t', resource_type: 'test', name: 't', schema: 's' },
  ]);
  assert.deepEqual(
    relations.map((r) => r.unique_id),
    ['model.p.orders', 'model.p.orders_v', 'model.p.never_built', 'source.p.raw.o'],
  );
  const catalog = buildCatalog(
    relations,
    [
      { database: 's', name: 'orders', engine: 'ReplacingMergeTree' },
      { database: 's', name: 'orders_v', engine: 'View' },
      { database: 'land', name: 'raw_orders', engine: 'Log' },
      { database: 'other', name: 'orders', engine: 'MergeTree' },
    ],
    [
      { database: 's', table: 'orders', name: 'id', type: 'UInt64', comment: 'The id' },
      { database: 's', table: 'orders', name: 'amount', type: 'Decimal(38, 4)', comment: '' },
      { database: 's', table: 'orders_v', name: 'id', type: 'UInt64', comment: '', position: '1' },
      { database: 'land', table: 'raw_orders', name: 'x', type: 'String', comment: '' },
      { database: 'other', table: 'orders', name: 'zzz', type: 'String', comment: '' },
    ],
    [{ database: 's', table: 'orders', rows: '12345678901', bytes: '2048', modified: '2026-01-02 03:04:05' }],
    { dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json' },
  );
  assert.deepEqual(Object.keys(catalog.nodes), ['model.p.orders', 'model.p.orders_v']);
  assert.deepEqual(catalog.nodes['model.p.orders'], {
    unique_id: 'model.p.orders',
    metadata: { type: 'table', schema: 's', name: 'orders', database: '', comment: null, owner: null },
    columns: {
      id: { type: 'UInt64', index: 1, name: 'id', comment: 'The id' },
      amount: { type: 'Decimal(38, 4)', index: 2, name: 'amount', comment: null },
    },
    stats: {
      has_stats: {
        id: 'has_stats',
        label: 'Has Stats?',
        value: true,
        include: false,
        description: 'Indicates whether there are statistics for this table',
      },
      row_count: {
        id: 'row_count',
        label: 'Row Count',
        value: 12345678901,
        include: true,
        description: 'Rows in the active parts (before background merges collapse any duplicates)',
      },
      bytes: {
        id: 'bytes',
        label: 'Approximate Size',
        value: 2048,
        include: true,
        description: 'Bytes on disk of the active parts',
      },
      last_modified: {
        id: 'last_modified',
        label: 'Last Modified',
        value: '2026-01-02 03:04:05 UTC',
        include: true,
        description: 'Newest active part',
      },
    },
  });
  const view = catalog.nodes['model.p.orders_v']!;
  assert.equal(view.metadata.type, 'view');
  assert.deepEqual(Object.keys(view.stats), ['has_stats']);
  assert.equal(view.stats.has_stats!.value, false);
  // A Log table has no parts: no statistics rather than a zero row count.
  assert.deepEqual(Object.keys(catalog.sources), ['source.p.raw.o']);
  assert.equal(catalog.sources['source.p.raw.o']!.stats.has_stats!.value, false);
  assert.deepEqual(Object.keys(catalog.sources['source.p.raw.o']!.columns), ['x']);
  assert.equal(catalog.errors, null);
  assert.deepEqual(
    ['View', 'MaterializedView', 'MergeTree', 'ReplacingMergeTree', 'Memory', 'Log'].map(relationType),
    ['view', 'view', 'table', 'table', 'table', 'table'],
  );
});

const PARENT_COLUMNS: Record<string, string[]> = {
  'model.p.a': ['id', 'x', 'y', 'secret'],
  'model.p.b': ['id', 'z'],
};
const context = {
  resolveRelation: (schema: string | undefined, table: string) =>
    (schema ?? 's') === 's' && ['a', 'b', 'c'].includes(table) ? `model.p.${table}` : undefined,
  columnsOf: (node: string) => PARENT_COLUMNS[node],
};
function lineage(sql: string): Record<string, string[]> {
  return Object.fromEntries(
    [...columnLineage(sql, context)].map(([name, origins]) => [
      name,
      origins.map((o) => `${o.node.split('.')[2]}.${o.column}${o.direct ? '' : '~'}`),
    ]),
  );
}

test('column lineage: plain copies, aliases, qualifiers, joins, CTEs, subqueries, stars, unions', () => {
  const cases: [string, Record<string, string[]>][] = [
    ['select id, x as renamed from s.a', { id: ['a.id'], renamed: ['a.x'] }],
    ['select t.id as k, t.y from `s`.`a` as t', { k: ['a.id'], y: ['a.y'] }],
    ['select a.id, b.z from s.a left join s.b on a.id = b.id', { id: ['a.id'], z: ['b.z'] }],
    ['select z, x from s.a aa join s.b bb using (id)', { z: ['b.z'], x: ['a.x'] }],
    // Unqualified `id` is in both: ambiguous, so no edge rather than a guess.
    ['select id from s.a join s.b on 1', { id: [] }],
    ['select x + y as total, toString(id) as sid from a', { total: ['a.x~', 'a.y~'], sid: ['a.id~'] }],
    ['with c1 as (select id as k, x from s.a) select k, x as x2 from c1', { k: ['a.id'], x2: ['a.x'] }],
    ['select q.k from (select id as k from s.a) q', { k: ['a.id'] }],
    ['select * from s.b', { id: ['b.id'], z: ['b.z'] }],
    ['select * except (secret, y) from s.a', { id: ['a.id'], x: ['a.x'] }],
    ['select b.*, a.x from s.a a join s.b b on a.id = b.id', { id: ['b.id'], z: ['b.z'], x: ['a.x'] }],
    ['select id from s.a union all select id from s.b', { id: ['a.id', 'b.id'] }],
    ["select 'x' as lit, now() as ts, 'a.id' as s from s.a", { lit: [], ts: [], s: [] }],
    ['select x as v, v * 2 as w from s.a', { v: ['a.x'], w: ['a.x~'] }],
    ['-- select secret from s.a\nselect /* y */ x from s.a final where y > 0;', { x: ['a.x'] }],
    ['select n from numbers(10)', { n: [] }],
    ['select id from other.a', { id: [] }],
    ['select count() as c, x from s.a group by x', { c: [], x: ['a.x'] }],
    ['select case when x > 0 then y else 0 end as pos from s.a', { pos: ['a.x~', 'a.y~'] }],
    ['select x y2 from s.a', { y2: ['a.x'] }],
    // The only relation in scope owns an unqualified name even when its columns are unknown.
    ['select q, c.r from s.c', { q: ['c.q'], r: ['c.r'] }],
    // A scalar subquery's names belong to its own FROM; lambda parameters name no column.
    ['select y + (select max(x) from s.b) as m from s.a', { m: ['a.y~'] }],
    ['select arrayMap(x -> x + 1, [y]) as arr from s.a', { arr: ['a.y~'] }],
  ];
  for (const [sql, want] of cases) assert.deepEqual(lineage(sql), want, sql);
  // SQL the reader cannot follow gives no lineage, never a wrong one.
  for (const broken of [
    'select (select from',
    'select x from (select id from s.a',
    'with q as (select x from s.a select',
  ])
    assert.ok(
      Object.values(lineage(broken)).every((o) => o.length === 0),
      broken,
    );
});

test('docs data: catalog types, declared descriptions, tests and lineage joined per column', () => {
  const manifest: Manifest = {
    metadata: { project_name: 'p' },
    nodes: {
      'model.p.a': model('a', {
        raw_code: 'select 1 as id',
        columns: { ID: { name: 'ID', description: 'Key.' } },
      }),
      'model.p.c': model('c', {
        compiled_code: 'select id as key from s.a',
        depends_on: { nodes: ['model.p.a'] },
        columns: {
          undocumented_in_db: { name: 'undocumented_in_db', description: 'Only in YAML.', data_type: 'Int8' },
        },
      }),
      'test.p.unique_a_id': {
        unique_id: 'test.p.unique_a_id',
        resource_type: 'test',
        name: 'unique_a_id',
        schema: 's',
        column_name: 'ID', // dbt-docs matches columns case-insensitively
        attached_node: 'model.p.a',
        test_metadata: { name: 'unique' },
        depends_on: { nodes: ['model.p.a'] },
      },
    },
    sources: {},
    exposures: {
      'exposure.p.board': {
        unique_id: 'exposure.p.board',
        resource_type: 'exposure',
        name: 'board',
        label: 'Finance board',
        schema: '',
        description: 'The CFO dashboard.',
        depends_on: { nodes: ['model.p.c'] },
      },
    },
  };
  const catalog = buildCatalog(
    catalogRelations(Object.values(manifest.nodes)),
    [{ database: 's', name: 'a', engine: 'MergeTree' }],
    [{ database: 's', table: 'a', name: 'id', type: 'UInt8', comment: '' }],
    [],
    {},
  );
  const data = buildDocsData(manifest, catalog, 's');
  const a = data.nodes.find((n) => n.id === 'model.p.a')!;
  assert.deepEqual(a.columns, [{ name: 'id', type: 'UInt8', desc: 'Key.', tests: ['unique'], from: [] }]);
  const c = data.nodes.find((n) => n.id === 'model.p.c')!;
  assert.deepEqual(c.parents, [data.nodes.indexOf(a)]);
  assert.deepEqual(c.columns, [
    { name: 'key', type: '', desc: '', tests: [], from: [[data.nodes.indexOf(a), 'id', 1]] },
    { name: 'undocumented_in_db', type: 'Int8', desc: 'Only in YAML.', tests: [], from: [] },
  ]);
  const exposure = data.nodes.find((n) => n.type === 'exposure')!;
  assert.equal(exposure.name, 'Finance board');
  assert.deepEqual(exposure.parents, [data.nodes.indexOf(c)]);
  const test = data.nodes.find((n) => n.type === 'test')!;
  assert.deepEqual(test.parents, [data.nodes.indexOf(a)]);
});

test('site: embedded JSON cannot close its script element; serve stays inside its directory', () => {
  const text = embedJson({ sql: "select '</script><script>alert(1)</script>' <!-- x" });
  assert.doesNotMatch(text, /<\/script|<!--/i);
  assert.deepEqual(JSON.parse(text), { sql: "select '</script><script>alert(1)</script>' <!-- x" });
  assert.equal(resolveInside('/srv/target', '/'), '/srv/target/index.html');
  assert.equal(resolveInside('/srv/target', '/catalog.json?x=1'), '/srv/target/catalog.json');
  for (const bad of [
    '/../secret',
    '/%2e%2e/secret',
    '/..%2f..%2fetc/passwd',
    '/a/../../x',
    '/%00',
    '/%E0%A4%A',
  ])
    assert.equal(resolveInside('/srv/target', bad), undefined, bad);
  assert.equal(resolveInside('/srv/target', '/../target-evil/x'), undefined);
});
