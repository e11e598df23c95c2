import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withMacroOverrides } from '../../src/dbt/compile/unit-overrides.ts';
import { compileTemplate, currentScope, pyFunction, type Scope } from '../../src/dbt/jinja/environment.ts';

// A unit test's `overrides: macros:` as dbt-core's generate_runtime_unit_test_context applies them
// (dbt-semantics.md §2.7): plain names, `pkg.name`, dbt's two-way dbt.name ↔ name, values that are
// not macros, unknown names ignored. Rendered by dema's Jinja engine from a plain context.

function context(): Record<string, unknown> & { dbt: object } {
  const namespace = (pkg: string, names: string[]) =>
    Object.fromEntries(names.map((name) => [name, (x?: unknown) => `${pkg}.${name}(${String(x ?? '')})`]));
  const dbt = namespace('dbt', ['current_timestamp', 'type_string']);
  const utils = namespace('dbt_utils', ['star', 'current_timestamp']);
  const own = namespace('proj', ['cents']);
  return {
    dbt,
    dbt_utils: utils,
    proj: own,
    current_timestamp: dbt.current_timestamp,
    type_string: dbt.type_string,
    cents: own.cents,
    invocation_id: 'real-id',
  };
}

const base = (values: Record<string, unknown>): Scope => ({
  has: (name) => name in values,
  get: (name) => values[name],
});

const TEMPLATE = [
  '{{ current_timestamp() }}|{{ dbt.current_timestamp() }}|{{ dbt_utils.current_timestamp() }}',
  '{{ cents(1) }}|{{ proj.cents(1) }}|{{ dbt_utils.star(2) }}|{{ invocation_id }}|{{ type_string() }}',
].join('|');

const isNamespace = (name: string) => ['dbt', 'dbt_utils', 'proj'].includes(name);

const render = (macros: Record<string, unknown>) =>
  compileTemplate(TEMPLATE, 'm.sql')
    .render(withMacroOverrides(base(context()), macros, isNamespace))
    .split('|');

test('macro overrides reach the names dbt replaces, and no others', () => {
  const plain = render({});
  assert.deepEqual(plain, [
    'dbt.current_timestamp()',
    'dbt.current_timestamp()',
    'dbt_utils.current_timestamp()',
    'proj.cents(1)',
    'proj.cents(1)',
    'dbt_utils.star(2)',
    'real-id',
    'dbt.type_string()',
  ]);
  const cases: [Record<string, unknown>, Record<number, string>][] = [
    // A plain name: the context's, and dbt's own of that name; not another package's.
    [{ current_timestamp: 'T' }, { 0: 'T', 1: 'T' }],
    // dbt.name: dbt's and the plain name.
    [{ 'dbt.current_timestamp': 'T' }, { 0: 'T', 1: 'T' }],
    // Another package's: only there.
    [{ 'dbt_utils.current_timestamp': 'U' }, { 2: 'U' }],
    [{ 'dbt_utils.star': 'a, b' }, { 5: 'a, b' }],
    // A project's macro: plain only changes the plain call (proj is not dbt), and the other way.
    [{ cents: '7' }, { 3: '7' }],
    [{ 'proj.cents': '7' }, { 4: '7' }],
    // A value that is not a macro is replaced by the value; a number renders as itself.
    [{ invocation_id: 123 }, { 6: '123' }],
    // The plain override wins over one from dbt.name.
    [
      { 'dbt.current_timestamp': 'A', current_timestamp: 'B' },
      { 0: 'B', 1: 'B' },
    ],
    // Names the context lacks are ignored; so are three-part names whose last part it lacks.
    [{ no_such: 'x', 'nope.star': 'x', 'dbt.nope': 'x', 'a.b.c': 'x' }, {}],
  ];
  for (const [macros, changed] of cases) {
    const expected = plain.map((value, i) => changed[i] ?? value);
    assert.deepEqual(render(macros), expected, JSON.stringify(macros));
  }
});

test('a macro override ignores the arguments of the call', () => {
  const scope = withMacroOverrides(base(context()), { cents: 5 }, isNamespace);
  assert.equal(compileTemplate("{{ cents('a', x=1) }}", 'm.sql').render(scope), '5');
});

test('overrides reach what the model names, not what a macro it calls names (dbt docs)', () => {
  // Macros resolve names through the current scope, as dema's registry macros do.
  const viaScope = () => String((currentScope()!.get('current_timestamp') as () => unknown)());
  const values = {
    ...context(),
    plain_js: viaScope,
    py_style: pyFunction(() => viaScope()),
    target: { name: 'dev', schema: 's' },
  };
  const scope = withMacroOverrides(
    base({ ...values, dbt: { ...(values.dbt as object), wrapped: pyFunction(() => viaScope()) } }),
    { current_timestamp: 'T', 'target.name': 'ci' },
    isNamespace,
  );
  assert.equal(
    compileTemplate(
      '{{ current_timestamp() }}|{{ plain_js() }}|{{ py_style() }}|{{ dbt.wrapped() }}|{{ target.name }}|{{ target.schema }}',
      'm.sql',
    ).render(scope),
    'T|dbt.current_timestamp()|dbt.current_timestamp()|dbt.current_timestamp()|ci|s',
  );
});
