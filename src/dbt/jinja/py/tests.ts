import { LoopContext, Namespace, NOT_FOUND, PY, pyFunction } from '../engine/runtime.ts';
import { FILTERS } from './filters.ts';
import { iterate, STRING_METHODS } from './methods.ts';
import { binary } from './ops.ts';
import {
  isDict,
  isFloat,
  isInt,
  isMappingLike,
  isString,
  isTuple,
  Markup,
  makeInt,
  PyError,
  pyCompare,
  pyEquals,
  str,
  toNumber,
  truthy,
  tuple,
  typeError,
  Undefined,
  view,
} from './values.ts';

/** Jinja2's builtin tests (`x is defined`, `n is divisibleby 3`…) and global functions. */

export type Test = (value: unknown, args: unknown[]) => boolean;

export function contains(container: unknown, item: unknown): boolean {
  if (isString(container)) {
    if (!isString(item)) throw typeError(`'in <string>' requires string as left operand, not ${typeof item}`);
    return String(container).includes(String(item));
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (isDict(container)) {
    if ((Array.isArray(item) && !isTuple(item)) || isDict(item))
      throw typeError(`unhashable type: '${Array.isArray(item) ? 'list' : 'dict'}'`);
    return (typeof item === 'string' || item instanceof Markup) && Object.hasOwn(container, String(item));
  }
  if (container instanceof Undefined) return false;
  return iterate(container).some((x) => pyEquals(x, item));
}

const compare =
  (check: (order: number) => boolean, op: string): Test =>
  (v, [other]) =>
    check(pyCompare(v, other, op));

export const TESTS: Record<string, Test> = {
  boolean: (v) => typeof v === 'boolean',
  callable: (v) => typeof v === 'function' || v instanceof LoopContext,
  defined: (v) => !(v instanceof Undefined),
  divisibleby: (v, [n]) => toNumber(v) % toNumber(n) === 0,
  eq: (v, [other]) => pyEquals(v, other),
  escaped: (v) => v instanceof Markup,
  even: (v) => pyEquals(binary('%', v, 2), 0),
  false: (v) => v === false,
  filter: (v) => typeof v === 'string' && v in FILTERS,
  float: (v) => isFloat(v),
  ge: compare((o) => o >= 0, '>='),
  gt: compare((o) => o > 0, '>'),
  in: (v, [container]) => contains(container, v),
  integer: (v) => isInt(v),
  iterable: (v) =>
    isString(v) ||
    Array.isArray(v) ||
    isDict(v) ||
    v instanceof Undefined ||
    (typeof v === 'object' && v !== null && Symbol.iterator in v),
  le: compare((o) => o <= 0, '<='),
  lower: (v) => STRING_METHODS.islower!(str(v), [], {}) === true,
  lt: compare((o) => o < 0, '<'),
  mapping: (v) => isMappingLike(v),
  ne: (v, [other]) => !pyEquals(v, other),
  none: (v) => v === null || v === undefined,
  number: (v) => typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || isFloat(v),
  odd: (v) => pyEquals(binary('%', v, 2), 1),
  sameas: (v, [other]) =>
    v === other || (v === null && other === undefined) || (v === undefined && other === null),
  sequence: (v) => isString(v) || Array.isArray(v) || isDict(v) || v instanceof Undefined,
  string: (v) => isString(v),
  test: (v) => typeof v === 'string' && v in TESTS,
  true: (v) => v === true,
  undefined: (v) => v instanceof Undefined,
  upper: (v) => STRING_METHODS.isupper!(str(v), [], {}) === true,
};
Object.assign(TESTS, {
  '==': TESTS.eq,
  equalto: TESTS.eq,
  '!=': TESTS.ne,
  '<': TESTS.lt,
  lessthan: TESTS.lt,
  '<=': TESTS.le,
  '>': TESTS.gt,
  greaterthan: TESTS.gt,
  '>=': TESTS.ge,
});

function range(positional: unknown[]): unknown[] {
  const [a, b, c] = positional.map(toNumber);
  const [start, stop, step] = positional.length === 1 ? [0, a!, 1] : [a!, b!, c ?? 1];
  if (step === 0) throw new PyError('ValueError', 'range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  const label = step === 1 ? `range(${start}, ${stop})` : `range(${start}, ${stop}, ${step})`;
  return view(out, label);
}

function dict(positional: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const [source] = positional;
  if (isDict(source)) Object.assign(out, source);
  else if (source !== undefined)
    for (const pair of iterate(source)) {
      const [key, value] = iterate(pair);
      out[String(key)] = value;
    }
  return Object.assign(out, kwargs);
}

class Cycler {
  private position = 0;
  constructor(private readonly items: unknown[]) {}
  get current(): unknown {
    return this.items[this.position];
  }
  next(): unknown {
    const value = this.current;
    this.position = (this.position + 1) % this.items.length;
    return value;
  }
  reset(): null {
    this.position = 0;
    return null;
  }
}

/** Jinja2's global functions; `lipsum` is left out. */
export const GLOBALS: Record<string, unknown> = {
  range: pyFunction(range),
  dict: pyFunction(dict),
  namespace: pyFunction((positional, kwargs) => new Namespace(dict(positional, kwargs))),
  cycler: pyFunction((positional) => new Cycler(positional)),
  joiner: pyFunction((positional) => {
    const separator = positional.length ? positional[0] : ', ';
    let used = false;
    return pyFunction(() => {
      if (!used) {
        used = true;
        return '';
      }
      return separator;
    });
  }),
};

export { makeInt, NOT_FOUND, PY, truthy, tuple };
