import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonJson } from '../../src/dbt/compile/context-globals.ts';
import { standardNamesSelect } from '../../src/dbt/materialize/column-names.ts';
import { renderProjectTrees } from '../../src/dbt/parser/render-project.ts';
import type { DbtProjectFile } from '../../src/dbt/project/project-file.ts';

test('join-qualified names are republished only when the standard name is unique', () => {
  assert.equal(standardNamesSelect('select 1', ['id', 'x']), undefined, 'nothing qualified');
  assert.equal(
    standardNamesSelect('select a.id, x from a join b join c', ['a.id', 'x']),
    'select `a.id` as `id`, `x`\nfrom (\nselect a.id, x from a join b join c\n) dbt_standard_names',
  );
  assert.equal(standardNamesSelect('q', ['id', 'b.id', 'y']), undefined, 'id collides: both kept');
  assert.equal(standardNamesSelect('q', ['a.id', 'b.id']), undefined, 'two a.id/b.id collide');
  assert.match(
    standardNamesSelect('q', ['a.id', 'b.id', 'c.z']) ?? '',
    /^select `a.id`, `b.id`, `c.z` as `z`/,
  );
  assert.equal(standardNamesSelect('q', ['`odd name`.x', 'a.b.c']), undefined, 'only alias.column shapes');
});

test("tojson is Python's json.dumps (oracle: python3)", () => {
  const values: unknown[] = [
    { a: 1, b: [true, false, null], é: 'ü "q" \\ \n', n: 1.5 },
    [],
    {},
    'plain',
    [{ z: 1, a: 2 }],
  ];
  for (const value of values) {
    const python = execFileSync(
      'python3',
      ['-c', 'import json,sys; print(json.dumps(json.loads(sys.argv[1])), end="")', JSON.stringify(value)],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(pythonJson(value), python);
  }
  const sorted = execFileSync(
    'python3',
    ['-c', 'import json; print(json.dumps({"b": 1, "a": {"d": 1, "c": 2}}, sort_keys=True), end="")'],
    { encoding: 'utf8' },
  );
  assert.equal(pythonJson({ b: 1, a: { d: 1, c: 2 } }, true), sorted);
});

test('dbt_project.yml configs render natively; hooks wait; var sees only --vars', () => {
  const project = {
    trees: {
      models: {
        shop: {
          '+enabled': "{{ var('load', false) }}",
          '+schema': "{{ 'x' ~ env_var('SUFFIX', 'y') }}",
          '+materialized': "{{ 'table' if target.name == 'prod' else 'view' }}",
          '+post-hook': "{{ log('later') }}",
          '+tags': ['{{ target.name }}', 'plain'],
          '+threads': '{{ 2 + 2 }} threads',
        },
      },
      seeds: {},
      sources: {},
      tests: {},
    },
  } as unknown as DbtProjectFile;
  const render = (cliVars: Record<string, unknown>, env: Record<string, string> = {}) =>
    renderProjectTrees(project, { target: { name: 'prod' }, cliVars, env }).trees.models.shop as Record<
      string,
      unknown
    >;
  const shop = render({});
  assert.equal(shop['+enabled'], false);
  assert.equal(shop['+schema'], 'xy');
  assert.equal(shop['+materialized'], 'table');
  assert.equal(shop['+post-hook'], "{{ log('later') }}");
  assert.deepEqual(shop['+tags'], ['prod', 'plain']);
  assert.equal(shop['+threads'], '4 threads');
  assert.equal(render({ load: true }, { SUFFIX: 'z' })['+enabled'], true);
  assert.equal(render({}, { SUFFIX: 'z' })['+schema'], 'xz');
  const missing = { ...project, trees: { ...project.trees, models: { '+enabled': "{{ var('nope') }}" } } };
  assert.throws(
    () => renderProjectTrees(missing as DbtProjectFile, { target: {}, cliVars: {}, env: {} }),
    (error: Error & { code?: string }) =>
      error.code === 'PARSE_PROJECT' && /var\('nope'\)/.test(error.message),
  );
});
