import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agateTable } from '../../src/dbt/compile/agate.ts';
import { pyDate } from '../../src/dbt/compile/modules.ts';
import { extractBlocks } from '../../src/dbt/jinja/blocks.ts';
import { compileTemplate, type Scope } from '../../src/dbt/jinja/environment.ts';
import { MacroRegistry, macroDefsFromBlocks } from '../../src/dbt/jinja/macros.ts';
import { Relation } from '../../src/dbt/jinja/relation.ts';

const MACROS = `
{% macro add(a, b=2) %}{{ return(a + b) }}{% endmacro %}
{% macro twice(x) %}{% set r = add(x, x) %}{{ return(r * 2) }}{% endmacro %}
{% macro shout(x) -%}{{ x.upper() }}!{%- endmacro %}
{% macro wrap() -%}<{{ caller() }}>{%- endmacro %}
{% macro early() -%}{% call wrap() %}{{ return('returned') }}{% endcall %} and on{%- endmacro %}
{% macro default__greet(x) -%}hello {{ x }}{%- endmacro %}
{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}
`;

const registry = new MacroRegistry(
  macroDefsFromBlocks(extractBlocks(MACROS), 'shop', 'macros/m.sql'),
  'shop',
);

function scopeOf(values: Record<string, unknown> = {}): Scope {
  const context: Record<string, unknown> = {
    adapter: { dispatch: (name: string, ns?: string) => registry.dispatch(name, ns) },
    ...values,
  };
  return {
    has: (name) => name in context || registry.lookup(name) !== undefined,
    get: (name) => (name in context ? context[name] : registry.lookup(name)),
  };
}

const render = (source: string, values?: Record<string, unknown>) =>
  compileTemplate(source, 'models/t.sql').render(scopeOf(values));

test('return() carries a native value out of exactly one macro call', () => {
  assert.equal(render('{{ add(1) }} {{ twice(3) }} {{ add(1) + 1 }}'), '3 12 4');
});

test('dispatch, call blocks and test blocks (as test_<name> macros)', () => {
  assert.equal(render("{{ adapter.dispatch('greet')('you') }}"), 'hello you');
  assert.equal(render('{% call wrap() %}inner{% endcall %}'), '<inner>');
  assert.ok(registry.find('test_positive'));
});

test('return() in a call block ends the macro that called caller(), as dbt (statement returns it)', () => {
  // wrap() returns the value (no <>), early() goes on: the block is not a dbt macro of its own.
  assert.equal(render('{{ early() }}'), 'returned and on');
});

test('Python truthiness: empty lists and dicts are false', () => {
  assert.equal(
    render("{{ 'yes' if [] else 'no' }} {{ 'yes' if {} else 'no' }} {{ 'yes' if [0] else 'no' }}"),
    'no no yes',
  );
  assert.equal(render('{% if not [] %}empty{% endif %}'), 'empty');
  assert.equal(render("{{ [] or 'fallback' }} {{ 'a' and 'b' }}"), 'fallback b');
});

test('Python methods, None, do, trailing commas and expression dict keys', () => {
  assert.equal(
    render("{{ 'a,b'.split(',') | join('|') }} {{ ' x '.strip() }} {{ 'ab'.startswith('a') }}"),
    'a|b x True',
  );
  assert.equal(render('{{ None is none }} {{ x is none }} {{ x is defined }}'), 'True False False');
  assert.equal(
    render('{% set xs = [] %}{% do xs.append(1) %}{% do xs.extend([2, 3],) %}{{ xs | join(",") }}'),
    '1,2,3',
  );
  assert.equal(
    render("{% set k = 'key' %}{% set d = {k: 1, 'lit': 2} %}{{ d | tojson }}"),
    '{"key": 1, "lit": 2}',
  );
  assert.equal(render("{{ shout('hi') }}"), 'HI!');
});

test('whitespace control', () => {
  assert.equal(render('a\n{%- if true %}\nb{% endif -%}\n c'), 'a\nbc');
});

test('errors name the file and line: syntax, unknown macro', () => {
  assert.throws(() => compileTemplate('select\n\n{% if %}', 'models/bad.sql'), {
    code: 'JINJA_SYNTAX',
    message: /^models\/bad\.sql:3: /,
  });
  assert.throws(() => render('select\n{{ nope() }}'), {
    code: 'JINJA_RENDER',
    message: /^models\/t\.sql:2: Unable to call `nope`/,
  });
  assert.throws(() => compileTemplate('{% foo %}', 'models/odd.sql'), { code: 'JINJA_UNSUPPORTED' });
});

test('block extraction keeps the line of each block', () => {
  const blocks = extractBlocks(
    '\n\n{% macro a(x, y=1) %}\nbody\n{% endmacro %}\n{% docs d %}text{% enddocs %}',
  );
  assert.deepEqual(
    blocks.map((b) => [b.kind, b.name, b.params, b.line]),
    [
      ['macro', 'a', 'x, y=1', 3],
      ['docs', 'd', '', 6],
    ],
  );
});

test('run_started_at renders as Python would', () => {
  const started = pyDate(new Date(Date.UTC(2023, 0, 2, 3, 4, 5, 6)));
  assert.equal(
    render('{{ t }} {{ t.strftime("%Y%m%d") }}', { t: started }),
    '2023-01-02 03:04:05.006000+00:00 20230102',
  );
});

test("a macro's own whitespace control is kept", () => {
  const trimmed = new MacroRegistry(
    macroDefsFromBlocks(
      extractBlocks('{% macro m(x) -%}\n  [{{ x }}]\n{%- endmacro %}'),
      'shop',
      'macros/t.sql',
    ),
    'shop',
  );
  const scope: Scope = { has: (name) => name === 'm', get: () => trimmed.lookup('m') };
  assert.equal(compileTemplate('a {{ m(1) }} b', 'models/w.sql').render(scope), 'a [1] b');
});

test('render errors name the file and line of the innermost statement, also inside a macro file', () => {
  assert.throws(() => render('a\n{% for x in [1] %}\n  {{ x.y.z }}\n{% endfor %}'), {
    code: 'JINJA_RENDER',
    message: /^models\/t\.sql:3: /,
  });
  assert.throws(() => render('{% set x = {} %}\n\n{% set x.a = 1 %}'), {
    code: 'JINJA_RENDER',
    message: /^models\/t\.sql:3: cannot assign attribute on non-namespace object/,
  });
  const failing = new MacroRegistry(
    macroDefsFromBlocks(
      extractBlocks('\n\n{% macro boom(x) %}\n{{ x + 1 }}\n{% endmacro %}'),
      'shop',
      'macros/b.sql',
    ),
    'shop',
  );
  const scope: Scope = { has: (name) => name === 'boom', get: () => failing.lookup('boom') };
  assert.throws(() => compileTemplate("ok\n{{ boom('s') }}", 'models/u.sql').render(scope), {
    code: 'JINJA_RENDER',
    message: /^macros\/b\.sql:4: TypeError: can only concatenate str/,
  });
  assert.throws(() => compileTemplate('x\n{{ 1 | nosuch }}', 'models/f.sql'), {
    code: 'JINJA_SYNTAX',
    message: /^models\/f\.sql:2: No filter named 'nosuch'/,
  });
});

test('JS functions get Python keyword arguments as a trailing __keywords object; macros are callable from JS', () => {
  const seen: unknown[][] = [];
  const spy = (...args: unknown[]) => {
    seen.push(args);
    return undefined;
  };
  assert.equal(render("{{ f(1, 'a', k=2.0) }}|{{ f() }}", { f: spy }), 'None|None');
  assert.deepEqual(seen, [[1, 'a', { __keywords: true, k: 2 }], []]);
  const add = registry.lookup('add')!;
  assert.equal(add(1), 3);
  assert.equal(add(1, { __keywords: true, b: 10 }), 11);
});

test("a parse render (lenientUndefined, as dbt's parse-time Undefined) lets attribute, item and call on undefined through", () => {
  const lenient: Scope = { has: () => false, get: () => undefined, lenientUndefined: true };
  const template = compileTemplate(
    '[{{ nope.x[0]() }}]{% for r in nope.rows %}x{% endfor %}',
    'models/p.sql',
  );
  assert.equal(template.render(lenient), '[]');
  assert.throws(() => template.render(scopeOf()), { code: 'JINJA_RENDER', message: /'nope' is undefined/ });
  assert.throws(() => compileTemplate('{{ nope + 1 }}', 'models/p.sql').render(lenient), {
    code: 'JINJA_RENDER',
  });
});

test('values handed to JS serialize as plain JSON (an integral float, Markup, Undefined nested in a dict)', () => {
  let given: unknown;
  render("{{ f({'ratio': 1.0, 'half': 0.5, 'm': 'x' | safe, 'u': nope, 't': (1, 2)}) }}", {
    f: (value: unknown) => {
      given = value;
      return '';
    },
  });
  assert.equal(JSON.stringify(given), '{"ratio":1,"half":0.5,"m":"x","u":null,"t":[1,2]}');
});

test("dbt's host objects as Python sees them: a Relation is a Mapping, run_query's columns a MappedSequence", () => {
  // dbt_utils' _is_relation, verbatim.
  const isRelation =
    "{{ obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation') }}|{{ obj.get('schema') }}";
  assert.equal(render(isRelation, { obj: new Relation('s', 't', 'table') }), 'True|s');
  assert.equal(render('{{ obj is mapping }}', { obj: '`s`.`t`' }), 'False');
  const table = agateTable([
    { code: 'A', n: 5 },
    { code: 'B', n: 7 },
  ]);
  // dbt_utils' get_query_results_as_dict loop, and agate's by-name and by-index access.
  const loop =
    "{% set d = {} %}{% for name, column in t.columns.items() %}{% do d.update({name: column.values()}) %}{% endfor %}{{ d }}|{{ t.columns['n'].values() }}|{{ t.columns[0].name }}|{{ t.columns.keys() }}|{{ t.columns | length }}";
  assert.equal(render(loop, { t: table }), "{'code': ('A', 'B'), 'n': (5, 7)}|(5, 7)|code|('code', 'n')|2");
});

test("a project macro is compiled as dbt's dbt_macro__<name>: errors name it so, and a call of its plain name goes through the context", () => {
  assert.throws(
    () => render('{{ shout(1, 2) }}'),
    /macro 'dbt_macro__shout' takes not more than 1 argument\(s\)/,
  );
  // The body's `countdown` is the registry's (the context), as in dbt, so recursion works.
  const recursive = new MacroRegistry(
    macroDefsFromBlocks(
      extractBlocks(
        '{% macro countdown(n) %}{% if n > 0 %}{{ n }}{{ countdown(n - 1) }}{% endif %}{% endmacro %}',
      ),
      'shop',
      'macros/r.sql',
    ),
    'shop',
  );
  const scope: Scope = { has: (name) => name === 'countdown', get: () => recursive.lookup('countdown') };
  assert.equal(compileTemplate('{{ countdown(3) }}', 'models/r.sql').render(scope), '321');
});
