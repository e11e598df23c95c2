import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph, type GraphNode } from '../../src/dbt/graph/graph.ts';
import { type Selection, selectNodes } from '../../src/dbt/graph/select.ts';
import type { IndirectSelection } from '../../src/dbt/graph/selection-spec.ts';
import { getSelector, loadSelectors } from '../../src/dbt/graph/selectors-file.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt's node selection with indirect selection (docs "Indirect selection", core/dbt/graph/selector.py)
// and YAML selectors (docs "YAML Selectors"). Expected sets are derived by hand from the docs' rules;
// selectors are also checked against the --select/--exclude expression dbt documents as equivalent.

function node(
  kind: 'model' | 'seed' | 'test' | 'source',
  name: string,
  dependsOn: string[],
  extra: Partial<GraphNode> = {},
) {
  return {
    uniqueId: `${kind}.p.${name}`,
    name,
    resourceType: kind,
    packageName: 'p',
    fqn: ['p', ...(kind === 'model' ? [extra.originalFilePath?.split('/')[1] ?? 'x'] : []), name],
    originalFilePath: `models/${name}.sql`,
    tags: [],
    config: {},
    dependsOn: dependsOn.map((d) => (d.includes('.') ? d : `model.p.${d}`)),
    ...extra,
  } as GraphNode;
}

// seed s → a → b → c, and d (no parents). Tests: t_a (unique a), t_b (not_null b),
// t_rel_b_a (relationships b→a), t_rel_c_s (relationships c→s), t_rel_d_a (relationships d→a),
// t_rel_d_src (relationships d→ a source src that no model reads).
const nodes: GraphNode[] = [
  node('seed', 's', []),
  node('source', 'src', []),
  node('model', 'a', ['seed.p.s'], { tags: ['nightly'], originalFilePath: 'models/staging/a.sql' }),
  node('model', 'b', ['a'], { tags: ['nightly', 'finance'], originalFilePath: 'models/marts/b.sql' }),
  node('model', 'c', ['b'], { tags: ['finance'], originalFilePath: 'models/marts/c.sql' }),
  node('model', 'd', [], { originalFilePath: 'models/staging/d.sql' }),
  node('test', 't_a', ['a']),
  node('test', 't_b', ['b']),
  node('test', 't_rel_b_a', ['b', 'a']),
  node('test', 't_rel_c_s', ['c', 'seed.p.s']),
  node('test', 't_rel_d_a', ['d', 'a']),
  node('test', 't_rel_d_src', ['d', 'source.p.src']),
];
const graph = new Graph(nodes);
const names = (ids: Set<string>) => [...ids].map((id) => graph.nodes.get(id)!.name).sort();
const cli = (select: string[], exclude: string[] = [], indirectSelection: IndirectSelection = 'eager') =>
  names(selectNodes(graph, { select, exclude, indirectSelection }));

test('indirect selection: eager, cautious, buildable, empty as the docs define them', () => {
  // eager: a test whose ANY parent is selected.
  assert.deepEqual(cli(['b']), ['b', 't_b', 't_rel_b_a']);
  // cautious: only tests whose parents are ALL selected.
  assert.deepEqual(cli(['b'], [], 'cautious'), ['b', 't_b']);
  // buildable: all parents selected or ancestors of the selection (a is upstream of b).
  assert.deepEqual(cli(['b'], [], 'buildable'), ['b', 't_b', 't_rel_b_a']);
  // d is not upstream of b, so t_rel_d_a stays out in buildable; eager takes it through a.
  assert.deepEqual(cli(['a'], [], 'buildable'), ['a', 't_a']);
  assert.deepEqual(cli(['a']), ['a', 't_a', 't_rel_b_a', 't_rel_d_a']);
  // c's relationship to the seed: s is an ancestor of c → buildable takes it, cautious not.
  assert.deepEqual(cli(['c'], [], 'buildable'), ['c', 't_rel_c_s']);
  assert.deepEqual(cli(['c'], [], 'cautious'), ['c']);
  // buildable counts every source as buildable (dbt's expand_selection), cautious does not.
  assert.deepEqual(cli(['d'], [], 'buildable'), ['d', 't_rel_d_src']);
  assert.deepEqual(cli(['d'], [], 'cautious'), ['d']);
  // empty: no test comes with its parents.
  assert.deepEqual(cli(['b'], [], 'empty'), ['b']);
  assert.deepEqual(cli(['+c'], [], 'empty'), ['a', 'b', 'c', 's']);
  // cautious across a union: both parents selected by different terms → the test comes.
  assert.deepEqual(cli(['a', 'b'], [], 'cautious'), ['a', 'b', 't_a', 't_b', 't_rel_b_a']);
  assert.deepEqual(cli(['a d'], [], 'cautious'), ['a', 'd', 't_a', 't_rel_d_a']);
  // Each part of an intersection takes its tests first (dbt's get_nodes_from_criteria): tag:nightly
  // and d share only the relationships test between d and a — eagerly; cautiously, nothing.
  assert.deepEqual(cli(['tag:nightly,d']), ['t_rel_d_a']);
  assert.deepEqual(cli(['tag:nightly,d'], [], 'cautious'), []);
  // A test selected by name is selected whatever the mode.
  assert.deepEqual(cli(['t_rel_d_a'], [], 'empty'), ['t_rel_d_a']);
});

test('exclusion is eager in every mode: excluding a model excludes every test touching it', () => {
  for (const mode of ['eager', 'cautious', 'buildable', 'empty'] as const)
    assert.deepEqual(
      cli([], ['a'], mode),
      ['b', 'c', 'd', 's', 'src', 't_b', 't_rel_c_s', 't_rel_d_src'],
      mode,
    );
  assert.deepEqual(cli(['+c'], ['tag:finance'], 'cautious'), ['a', 's', 't_a']);
});

function selectorsProject(t: Parameters<typeof tempDir>[0], yaml: string): string {
  const dir = tempDir(t);
  writeFiles(dir, { 'selectors.yml': yaml });
  return dir;
}

const SELECTORS = `selectors:
  - name: nightly_cli
    definition: 'tag:nightly'
  - name: nightly_kv
    definition:
      tag: nightly
  - name: around_b
    definition:
      method: fqn
      value: b
      parents: true
      children: true
  - name: one_up_c
    definition: {method: fqn, value: c, parents: true, parents_depth: 1}
  - name: at_a
    definition: {method: fqn, value: a, childrens_parents: true}
  - name: marts_not_finance
    default: true
    description: nested union, intersection and exclude
    definition:
      union:
        - intersection:
            - method: path
              value: models/marts
            - '+c'
        - method: fqn
          value: d
        - exclude:
            - tag: finance
  - name: inherits
    definition:
      union:
        - method: selector
          value: nightly_kv
        - 'd'
  - name: cautious_b
    definition: {method: fqn, value: b, indirect_selection: cautious}
  - name: buildable_b
    definition: {method: fqn, value: b, indirect_selection: buildable}
  - name: buildable_d
    definition: {method: fqn, value: d, indirect_selection: buildable}
  - name: exclude_in_method
    definition:
      method: tag
      value: nightly
      exclude:
        - method: fqn
          value: a
`;

test('selectors.yml definitions select what their --select/--exclude equivalents select', (t) => {
  const file = loadSelectors(selectorsProject(t, SELECTORS), 'eager');
  const run = (name: string, mode: IndirectSelection = 'eager') => {
    const spec = loadSelectors(selectorsProject(t, SELECTORS), mode).selectors.get(name)!.spec;
    return names(selectNodes(graph, { select: [], exclude: [], spec } as Selection));
  };
  const equivalents: [string, string[], string[], IndirectSelection?][] = [
    ['nightly_cli', ['tag:nightly'], []],
    ['nightly_kv', ['tag:nightly'], []],
    ['around_b', ['+b+'], []],
    ['one_up_c', ['1+c'], []],
    ['at_a', ['@a'], []],
    ['marts_not_finance', ['path:models/marts,+c', 'd'], ['tag:finance']],
    ['inherits', ['tag:nightly', 'd'], []],
    ['cautious_b', ['b'], [], 'cautious'],
    ['buildable_b', ['b'], [], 'buildable'],
    ['buildable_d', ['d'], [], 'buildable'],
    ['exclude_in_method', ['tag:nightly'], ['a']],
  ];
  for (const [name, select, exclude, mode] of equivalents)
    assert.deepEqual(run(name), cli(select, exclude, mode ?? 'eager'), name);
  // Hand-derived from the docs' rules.
  assert.deepEqual(run('around_b'), [
    'a',
    'b',
    'c',
    's',
    't_a',
    't_b',
    't_rel_b_a',
    't_rel_c_s',
    't_rel_d_a',
  ]);
  assert.deepEqual(run('one_up_c'), ['b', 'c', 't_b', 't_rel_b_a', 't_rel_c_s']);
  assert.deepEqual(run('marts_not_finance'), ['d', 't_rel_d_a', 't_rel_d_src']);
  // A lone criterion with its own mode: expanded by that mode only (no compound spec around it).
  assert.deepEqual(run('buildable_b'), ['b', 't_b', 't_rel_b_a']);
  assert.deepEqual(run('buildable_d'), ['d', 't_rel_d_src']);
  assert.deepEqual(run('cautious_b'), ['b', 't_b']);
  // Without indirect_selection of its own, a selector takes the flag's mode (dbt ≥ 1.8).
  assert.deepEqual(run('nightly_kv', 'cautious'), ['a', 'b', 't_a', 't_b', 't_rel_b_a']);
  assert.deepEqual(run('nightly_kv', 'empty'), ['a', 'b']);
  assert.equal(file.defaultName, 'marts_not_finance');
  assert.equal(
    file.selectors.get('marts_not_finance')!.description,
    'nested union, intersection and exclude',
  );
});

test('selectors.yml errors are coded and name the file and line', (t) => {
  const cases: [string, RegExp][] = [
    ['selectors:\n  - name: a\n    definition: [\n', /^selectors\.yml:\d+: /],
    [
      'selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      parent: true\n',
      /selectors\.yml:6: unknown key 'parent'/,
    ],
    [
      'selectors:\n  - name: a\n    default: true\n    definition: x\n  - name: b\n    default: true\n    definition: y\n',
      /selectors\.yml:6: found multiple selectors with 'default: true': 'a' and 'b'/,
    ],
    [
      'selectors:\n  - name: a\n    definition: {method: selector, value: b}\n  - name: b\n    definition: x\n',
      /selectors\.yml:3: existing selector definition for 'b' not found/,
    ],
    [
      'selectors:\n  - name: a\n    definition:\n      union:\n        - x\n        - exclude: [y]\n        - exclude: [z]\n',
      /selectors\.yml:7: you cannot provide multiple exclude/,
    ],
    [
      'selectors:\n  - name: a\n    definition: {method: tag, value: x, indirect_selection: lazy}\n',
      /indirect_selection 'lazy'/,
    ],
    [
      'selectors:\n  - name: a\n    definition: {method: tag, value: x, children_depth: -1}\n',
      /'children_depth' must be a whole number/,
    ],
    [
      'selectors:\n  - name: a\n    definition: {union: [x], intersection: [y]}\n',
      /only a single 'union' or 'intersection'/,
    ],
    [
      'selectors:\n  - name: a\n    definition: {tag: x, value: y}\n',
      /expected either 1 key or else "method" and "value"/,
    ],
    ['nope: 1\n', /expected a top-level 'selectors:' list/],
    // dbt renders Jinja here (the docs' `default: "{{ target.name == 'prod' | as_bool }}"`); dema does
    // not, so such a default is refused rather than silently never default.
    [
      'selectors:\n  - name: a\n    default: "{{ target.name == \'prod\' | as_bool }}"\n    definition: x\n',
      /selectors\.yml:3: 'default' must be true or false/,
    ],
    [
      'selectors:\n  - name: a\n    default: yes please\n    definition: x\n',
      /selectors\.yml:3: 'default' must be/,
    ],
  ];
  for (const [yaml, pattern] of cases) {
    const dir = selectorsProject(t, yaml);
    assert.throws(
      () => loadSelectors(dir, 'eager'),
      (error: unknown) =>
        error instanceof DemaError && error.code === 'PARSE_YAML' && pattern.test(error.message),
      yaml,
    );
  }
  const file = loadSelectors(selectorsProject(t, SELECTORS), 'eager');
  assert.throws(
    () => getSelector(file, 'nigthly'),
    (error: unknown) =>
      error instanceof DemaError && error.code === 'SELECT_INVALID' && /nightly_cli/.test(error.hint ?? ''),
  );
  assert.throws(
    () => getSelector(loadSelectors(tempDir(t), 'eager'), 'x'),
    /no selectors\.yml at the project root/,
  );
});

test("the docs' nightly_diet_snowplow selector selects what the docs' rules give, by hand", (t) => {
  // docs "YAML Selectors", the full example: (source snowplow with childrens_parents ∩ tag nightly)
  // ∪ path models/export, minus (package snowplow ∩ config.materialized incremental) and
  // export_performance_timing.
  const m = (pkg: string, name: string, path: string, deps: string[], extra: Partial<GraphNode> = {}) =>
    ({
      uniqueId: `model.${pkg}.${name}`,
      name,
      resourceType: 'model',
      packageName: pkg,
      fqn: [pkg, name],
      originalFilePath: path,
      tags: [],
      config: { materialized: 'table' },
      dependsOn: deps,
      ...extra,
    }) as GraphNode;
  const source = 'source.snowplow.snowplow.events';
  const diet = new Graph([
    {
      uniqueId: source,
      name: 'events',
      resourceType: 'source',
      packageName: 'snowplow',
      fqn: ['snowplow', 'snowplow', 'events'],
      originalFilePath: 'models/src.yml',
      tags: [],
      config: {},
      dependsOn: [],
      sourceName: 'snowplow',
    },
    m('snowplow', 'sp_sessions', 'models/sp_sessions.sql', [source], {
      config: { materialized: 'incremental' },
      tags: ['nightly'],
    }),
    m('snowplow', 'sp_page_views', 'models/sp_page_views.sql', [source], { tags: ['nightly'] }),
    m('p', 'dim_users', 'models/dim_users.sql', []),
    m(
      'p',
      'nightly_rollup',
      'models/nightly_rollup.sql',
      ['model.snowplow.sp_page_views', 'model.p.dim_users'],
      {
        tags: ['nightly'],
      },
    ),
    m('p', 'export_performance_timing', 'models/export/export_performance_timing.sql', [
      'model.snowplow.sp_page_views',
    ]),
    m('p', 'export_daily', 'models/export/export_daily.sql', ['model.p.nightly_rollup']),
    m('p', 'unrelated', 'models/unrelated.sql', [], { tags: ['nightly'] }),
  ]);
  const dir = selectorsProject(
    t,
    `selectors:
  - name: nightly_diet_snowplow
    description: "Non-incremental Snowplow models that power nightly exports"
    definition:
      union:
        - intersection:
            - method: source
              value: snowplow
              childrens_parents: true
            - method: tag
              value: nightly
        - method: path
          value: models/export
        - exclude:
            - intersection:
                - method: package
                  value: snowplow
                - method: config.materialized
                  value: incremental
            - method: fqn
              value: export_performance_timing
`,
  );
  const spec = loadSelectors(dir, 'eager').selectors.get('nightly_diet_snowplow')!.spec;
  const picked = [...selectNodes(diet, { select: [], exclude: [], spec })].map(
    (id) => diet.nodes.get(id)!.name,
  );
  assert.deepEqual(picked.sort(), ['export_daily', 'nightly_rollup', 'sp_page_views']);
});
