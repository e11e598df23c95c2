import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance } from '../../src/dbt/edit-distance.ts';
import { Graph, type GraphNode } from '../../src/dbt/graph/graph.ts';
import { selectNodes, unmatchedSelectors } from '../../src/dbt/graph/select.ts';

function model(name: string, dir: string, dependsOn: string[], extra: Partial<GraphNode> = {}): GraphNode {
  return {
    uniqueId: `model.dema.${name}`,
    name,
    resourceType: 'model',
    packageName: 'dema',
    fqn: ['dema', ...dir.split('/'), name],
    originalFilePath: `models/${dir}/${name}.sql`,
    tags: [],
    config: { materialized: 'view' },
    dependsOn,
    ...extra,
  };
}

const nodes: GraphNode[] = [
  {
    uniqueId: 'source.dema.raw.orders',
    name: 'orders',
    resourceType: 'source',
    packageName: 'dema',
    fqn: ['dema', 'raw', 'orders'],
    originalFilePath: 'models/sources.yml',
    tags: [],
    config: {},
    dependsOn: [],
    sourceName: 'raw',
  },
  model('stg_orders', 'staging', ['source.dema.raw.orders'], { tags: ['staging'] }),
  model('stg_inventory', 'staging', []),
  model('int_lines', 'intermediate', ['model.dema.stg_orders', 'model.dema.stg_inventory'], {
    config: { materialized: 'ephemeral' },
  }),
  model('mart_finance', 'marts/finance', ['model.dema.int_lines'], {
    tags: ['finance'],
    config: { materialized: 'incremental' },
  }),
  model('mart_marketing', 'marts/marketing', ['model.dema.stg_orders']),
  {
    uniqueId: 'test.dema.not_null_stg_orders_id.abc',
    name: 'not_null_stg_orders_id',
    resourceType: 'test',
    packageName: 'dema',
    fqn: ['dema', 'staging', 'not_null_stg_orders_id'],
    originalFilePath: 'models/staging/schema.yml',
    tags: [],
    config: {},
    dependsOn: ['model.dema.stg_orders'],
    testType: 'generic',
  },
];
const graph = new Graph(nodes);
const names = (ids: Set<string>) => [...ids].map((id) => graph.nodes.get(id)!.name).sort();

test('topological order puts parents first', () => {
  const order = graph.topologicalOrder().map((id) => graph.nodes.get(id)!.name);
  assert.ok(order.indexOf('stg_orders') < order.indexOf('int_lines'));
  assert.ok(order.indexOf('int_lines') < order.indexOf('mart_finance'));
});

test('a cycle is an error that names it', () => {
  const cyclic = new Graph([
    model('a', 'x', ['model.dema.b']),
    model('b', 'x', ['model.dema.c']),
    model('c', 'x', ['model.dema.a']),
  ]);
  assert.throws(
    () => cyclic.topologicalOrder(),
    /cycle: a → b → c → a|cycle: b → c → a → b|cycle: c → a → b → c/,
  );
});

test('graph operators: +, n+, +n, @', () => {
  assert.deepEqual(names(selectNodes(graph, { select: ['+int_lines'], exclude: [] })), [
    'int_lines',
    'not_null_stg_orders_id',
    'orders',
    'stg_inventory',
    'stg_orders',
  ]);
  assert.deepEqual(names(selectNodes(graph, { select: ['stg_orders+1'], exclude: ['resource_type:test'] })), [
    'int_lines',
    'mart_marketing',
    'stg_orders',
  ]);
  assert.deepEqual(names(selectNodes(graph, { select: ['1+mart_finance'], exclude: [] })), [
    'int_lines',
    'mart_finance',
  ]);
  assert.deepEqual(
    names(selectNodes(graph, { select: ['@stg_inventory'], exclude: ['resource_type:test'] })),
    ['int_lines', 'mart_finance', 'orders', 'stg_inventory', 'stg_orders'],
  );
});

test('methods: tag, path, source, resource_type, config, test_type, fqn wildcards', () => {
  assert.deepEqual(names(selectNodes(graph, { select: ['tag:finance'], exclude: [] })), ['mart_finance']);
  assert.deepEqual(names(selectNodes(graph, { select: ['path:models/marts'], exclude: [] })), [
    'mart_finance',
    'mart_marketing',
  ]);
  assert.deepEqual(
    names(selectNodes(graph, { select: ['models/staging'], exclude: ['test_type:generic'] })),
    ['stg_inventory', 'stg_orders'],
  );
  assert.deepEqual(names(selectNodes(graph, { select: ['source:raw+'], exclude: ['resource_type:test'] })), [
    'int_lines',
    'mart_finance',
    'mart_marketing',
    'orders',
    'stg_orders',
  ]);
  assert.deepEqual(names(selectNodes(graph, { select: ['config.materialized:incremental'], exclude: [] })), [
    'mart_finance',
  ]);
  assert.deepEqual(names(selectNodes(graph, { select: ['marts.*'], exclude: [] })), [
    'mart_finance',
    'mart_marketing',
  ]);
  assert.deepEqual(names(selectNodes(graph, { select: ['resource_type:test'], exclude: [] })), [
    'not_null_stg_orders_id',
  ]);
});

test('union, intersection and exclusion', () => {
  assert.deepEqual(names(selectNodes(graph, { select: ['tag:finance stg_inventory'], exclude: [] })), [
    'mart_finance',
    'stg_inventory',
  ]);
  assert.deepEqual(
    names(selectNodes(graph, { select: ['path:models/marts,config.materialized:view'], exclude: [] })),
    ['mart_marketing'],
  );
  assert.deepEqual(
    names(selectNodes(graph, { select: ['stg_orders+'], exclude: ['mart_marketing', 'int_lines'] })),
    ['mart_finance', 'not_null_stg_orders_id', 'stg_orders'],
  );
});

test('an unknown method is a clear error', () => {
  assert.throws(
    () => selectNodes(graph, { select: ['colour:red'], exclude: [] }),
    /Unknown selection method "colour:"/,
  );
});

test('edit distance against a reference implementation, on many string pairs', () => {
  // The textbook full-matrix Levenshtein, as the oracle for the two-row version.
  const reference = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) =>
      Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const word = () =>
    Array.from({ length: Math.floor(random() * 8) }, () => 'abc_'[Math.floor(random() * 4)]).join('');
  for (let i = 0; i < 500; i++) {
    const [a, b] = [word(), word()];
    assert.equal(editDistance(a, b), reference(a, b), `${a} / ${b}`);
  }
});

test('selector terms that match nothing are reported with the nearest names', () => {
  assert.deepEqual(unmatchedSelectors(graph, ['stg_orders+', 'tag:finance']), []);
  assert.deepEqual(unmatchedSelectors(graph, ['stg_ordrs+ mart_finance', 'tag:finanse,stg_orders']), [
    { spec: 'stg_ordrs+', suggestions: ['stg_orders'] },
    { spec: 'tag:finanse', suggestions: ['finance'] },
  ]);
  assert.deepEqual(unmatchedSelectors(graph, ['zzz']), [{ spec: 'zzz', suggestions: [] }]);
  assert.deepEqual(unmatchedSelectors(graph, ['stg_']), [{ spec: 'stg_', suggestions: [] }]);
});

test('test_name: matches a generic test by its macro name (namespace left out, globs as fnmatch), as dbt', () => {
  const generic = (name: string, on: string, test: GraphNode['test']): GraphNode => ({
    ...model(name, 'marts', [`model.dema.${on}`]),
    uniqueId: `test.dema.${name}.abc`,
    resourceType: 'test',
    testType: 'generic',
    test,
  });
  const withTests = new Graph([
    model('orders', 'marts', []),
    generic('not_null_orders_id', 'orders', { name: 'not_null' }),
    generic('dbt_utils_expression_is_true_orders_x', 'orders', {
      name: 'expression_is_true',
      namespace: 'dbt_utils',
    }),
    {
      ...model('assert_positive', 'marts', ['model.dema.orders']),
      resourceType: 'test',
      testType: 'singular',
    },
  ]);
  const pick = (select: string[], exclude: string[] = []) =>
    [...selectNodes(withTests, { select, exclude })].map((id) => withTests.nodes.get(id)!.name).sort();
  assert.deepEqual(pick(['test_name:not_null']), ['not_null_orders_id']);
  assert.deepEqual(pick(['test_name:expression_is_true']), ['dbt_utils_expression_is_true_orders_x']);
  assert.deepEqual(pick(['test_name:expression_*']), ['dbt_utils_expression_is_true_orders_x']);
  // The namespace is not part of the name dbt matches; a model or a singular test has no test name.
  assert.deepEqual(pick(['test_name:dbt_utils.expression_is_true']), []);
  assert.deepEqual(pick(['test_name:orders', 'test_name:assert_positive']), []);
  // Excluding by test name keeps the model and its other tests.
  assert.deepEqual(pick(['orders'], ['test_name:expression_is_true']), [
    'assert_positive',
    'not_null_orders_id',
    'orders',
  ]);
});
