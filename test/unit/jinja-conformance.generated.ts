/**
 * Seeded random expressions for the differential suite: operators, filters, tests, methods,
 * subscripts and inline ifs over mixed Python values, nested up to three levels. The seed is fixed,
 * so the cases are the same on every run; jinja2 decides the expected output live.
 */

const ATOMS = [
  '0',
  '1',
  '-1',
  '2',
  '3',
  '7',
  '10',
  '100',
  '1.0',
  '0.5',
  '2.5',
  '-0.5',
  '3.75',
  '1e3',
  "'a'",
  "'ab'",
  "''",
  "'A b'",
  "'3'",
  "'x,y'",
  'none',
  'true',
  'false',
  '[]',
  '[1, 2]',
  "['x', 'y']",
  '()',
  '(1,)',
  "(1, 'a')",
  '{}',
  "{'k': 1}",
  "{'a': 'b', 'c': [1]}",
  'undefined_v',
];
const SEQUENCES = ["'ab'", "'A b'", "'x,y'", "''", '[1, 2]', "['x', 'y']", '()', "(1, 'a')", '[]'];
const OPERATORS = [
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '**',
  '~',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'not in',
  'and',
  'or',
];
const FILTERS = [
  'length',
  'string',
  'list',
  'first',
  'last',
  'upper',
  'lower',
  'trim',
  'int',
  'float',
  'abs',
  'sort',
  'unique | list',
  'reverse | list',
  'join',
  "join(',')",
  'sum',
  'min',
  'max',
  "default('d')",
  'tojson',
  'round',
  'capitalize',
  'title',
  'e',
  'safe',
  'count',
  'center(7)',
  'batch(2) | list',
  'dictsort',
  'items | list',
  "replace('a', 'z')",
  'wordcount',
  'indent(2)',
  'format(1)',
  'truncate(5)',
];
const TESTS = [
  'defined',
  'none',
  'string',
  'number',
  'mapping',
  'iterable',
  'sequence',
  'odd',
  'even',
  'integer',
  'float',
  'lower',
  'upper',
  'callable',
  'true',
  'false',
  'boolean',
];
const METHODS = [
  'upper()',
  'lower()',
  'strip()',
  'split()',
  "split(',')",
  'title()',
  'capitalize()',
  "startswith('a')",
  "replace('a', 'b')",
  'items()',
  'keys()',
  'values()',
  "get('k')",
  "get('z', 0)",
  'count(1)',
  "index('a')",
  "find('b')",
  'zfill(4)',
  'format(1)',
];
const SUBSCRIPTS = ['0', '-1', '1:', '::-1', ':-1', '2', '-2:'];

export function generatedTemplates(seed: number, count: number): string[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const expression = (depth: number): string => {
    if (depth <= 0) return pick(ATOMS);
    const inner = () => expression(depth - 1);
    switch (Math.floor(random() * 9)) {
      case 0:
      case 1:
        return `(${inner()} ${pick(OPERATORS)} ${inner()})`;
      case 2:
        return `${inner()} | ${pick(FILTERS)}`;
      case 3:
        return `(${inner()} is ${random() < 0.3 ? 'not ' : ''}${pick(TESTS)})`;
      case 4:
        return `${pick(ATOMS)}.${pick(METHODS)}`;
      case 5:
        return `${pick(SEQUENCES)}[${pick(SUBSCRIPTS)}]`;
      case 6:
        return `(${inner()} if ${inner()} else ${inner()})`;
      case 7:
        return `[${inner()}, ${inner()}]`;
      default:
        return `(not ${inner()})`;
    }
  };
  return Array.from({ length: count }, () => `{{ ${expression(1 + Math.floor(random() * 3))} }}`);
}

const VALUES = [
  '1',
  "'s'",
  '[1, 2]',
  'a',
  'b ~ "x"',
  'c | default(0)',
  '(a | default(1)) * 2',
  'loop.index if loop is defined else 0',
  'ns.n',
  'varargs | length if varargs is defined else -1',
  'kwargs if kwargs is defined else {}',
];
const ITERABLES = ['[1, 2]', "'xy'", '[]', 'range(3)', "{'k': 1}"];
const MACRO_PARAMS = ['', 'a', 'a, b=2'];
const MACRO_ARGS = ['', '5', '5, 6', '5, b=7', 'a=3', '1, 2, 3', 'z=1'];

/**
 * Seeded random programs over three names: set (plain, block, namespace), for/else, if, with,
 * filter blocks, macros with arguments and call blocks nested three deep, then every name printed
 * at the end: what each scope lets through, and how each macro binds its arguments.
 */
export function generatedPrograms(seed: number, count: number): string[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const name = () => pick(['a', 'b', 'c']);
  const statements = (depth: number): string => {
    let out = '';
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      const inner = () => statements(depth - 1);
      switch (depth <= 0 ? Math.floor(random() * 3) : Math.floor(random() * 10)) {
        case 0:
          out += `{% set ${name()} = ${pick(VALUES)} %}`;
          break;
        case 1:
          out += `[{{ ${name()} }}]`;
          break;
        case 2:
          out += '{% set ns.n = ns.n + 1 %}{{ ns.n }}';
          break;
        case 3:
          out += `{% for ${name()} in ${pick(ITERABLES)} %}${inner()}{% else %}E{% endfor %}`;
          break;
        case 4:
          out += `{% if ${name()} is defined %}${inner()}{% else %}${inner()}{% endif %}`;
          break;
        case 5:
          out += `{% macro m${depth}(${pick(MACRO_PARAMS)}) %}${inner()}{% endmacro %}{{ m${depth}(${pick(MACRO_ARGS)}) }}`;
          break;
        case 6:
          out += `{% with ${name()} = ${pick(VALUES)} %}${inner()}{% endwith %}`;
          break;
        case 7:
          out += `{% filter upper %}${inner()}{% endfilter %}`;
          break;
        case 8:
          out += `{% macro w${depth}() %}({{ caller(${pick(['', '1'])}) }}){% endmacro %}{% call${pick(['', '(x)', '(x=9)'])} w${depth}() %}${inner()}{% endcall %}`;
          break;
        default:
          out += `{% set ${name()} %}${inner()}{% endset %}`;
      }
    }
    return out;
  };
  return Array.from(
    { length: count },
    () => `{% set ns = namespace(n=0) %}${statements(3)}|{{ a }}|{{ b }}|{{ c }}|{{ ns.n }}`,
  );
}
