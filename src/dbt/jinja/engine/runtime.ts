import { builtinMethod, iterate } from '../py/methods.ts';
import {
  isDict,
  isGenerator,
  isTuple,
  Markup,
  PyError,
  PyFloat,
  repr,
  toNumber,
  tuple,
  typeError,
  typeName,
  Undefined,
} from '../py/values.ts';

/**
 * Name resolution, attribute and item access, and calls with Python's conventions.
 *
 * Calling convention: a function carrying `[PY]` is called as `f[PY](positional, kwargs)` (the
 * engine's own callables: macros, builtins, methods). Any other JS function is called with its
 * positional arguments and, when there are keyword arguments, one more trailing object
 * `{ __keywords: true, ...kwargs }` (see `splitArgs`); a JS `undefined` result is None.
 */

export const PY = Symbol('jinja.python-callable');
export type PyCallable = (positional: unknown[], kwargs: Record<string, unknown>) => unknown;

export class UndefinedError extends PyError {
  constructor(message: string) {
    super('UndefinedError', message);
  }
}

/** `{{ return(x) }}`: carries a native value out of a macro to its caller. */
export class ReturnSignal {
  constructor(readonly value: unknown) {}
}

export interface Kwargs {
  readonly [name: string]: unknown;
}

/** Splits JS-convention call arguments into positional ones and the trailing keyword object. */
export function splitArgs(args: readonly unknown[]): { positional: unknown[]; kwargs: Kwargs } {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords === true) {
    const { __keywords: _, ...kwargs } = last;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: [...args], kwargs: {} };
}

/** A JS function callable from templates with Python's positional and keyword arguments. */
export function pyFunction<F extends PyCallable>(call: F): ((...args: unknown[]) => unknown) & { [PY]: F } {
  const fn = (...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    return call(positional, { ...kwargs });
  };
  return Object.assign(fn, { [PY]: call });
}

export interface Scope {
  has(name: string): boolean;
  get(name: string): unknown;
  /**
   * dbt's parse-time Undefined: attribute, item and call on an undefined value give it back
   * instead of failing (a parse render must not fail on what only exists at run time).
   */
  readonly lenientUndefined?: boolean;
}

const scopes: Scope[] = [];

export function currentScope(): Scope | undefined {
  return scopes.at(-1);
}

/** Runs `work` with `scope` as the source of names no frame defines (the dbt context). */
export function withScope<T>(scope: Scope, work: () => T): T {
  scopes.push(scope);
  try {
    return work();
  } finally {
    scopes.pop();
  }
}

/** One level of variables: the template's top level, a loop iteration, a macro call, a block. */
export class Frame {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Frame | undefined) {}

  lookup(name: string): unknown {
    for (let frame: Frame | undefined = this; frame; frame = frame.parent) {
      const value = frame.vars.get(name);
      if (value !== undefined || frame.vars.has(name)) return value;
    }
    return NOT_FOUND;
  }
}

export const NOT_FOUND = Symbol('not found');

export class Namespace {
  constructor(readonly attrs: Record<string, unknown>) {}
  toString(): string {
    return `<Namespace ${repr(this.attrs)}>`;
  }
}

export function undefinedName(name: string): Undefined {
  return new Undefined(`'${name}' is undefined`);
}

function missingAttribute(obj: unknown, name: string): Undefined {
  return new Undefined(`'${typeName(obj)} object' has no attribute '${name}'`);
}

function bindMethod(self: unknown, name: string): unknown {
  const method = builtinMethod(self, name);
  if (!method) return undefined;
  const target = self instanceof Markup ? self.value : self;
  return pyFunction((args, kwargs) => method(target as never, args, kwargs));
}

/** `obj.name`: Jinja2 tries the attribute first, then the item. */
function failOnUndefined(value: Undefined): Undefined {
  if (currentScope()?.lenientUndefined) return value;
  throw new UndefinedError(value.message);
}

export function getAttr(obj: unknown, name: string): unknown {
  if (obj instanceof Undefined) return failOnUndefined(obj);
  if (obj === null || obj === undefined) return missingAttribute(obj, name);
  if (typeof obj === 'string' || obj instanceof Markup || Array.isArray(obj)) {
    const method = bindMethod(obj, name);
    if (method) return method;
    if (Array.isArray(obj) && Object.hasOwn(obj, name) && !/^\d+$/.test(name))
      return (obj as unknown as Record<string, unknown>)[name];
    return missingAttribute(obj, name);
  }
  if (isDict(obj)) {
    const own = Object.hasOwn(obj, name) ? obj[name] : undefined;
    if (typeof own === 'function') return own;
    const method = bindMethod(obj, name);
    if (method) return method;
    return own === undefined ? missingAttribute(obj, name) : own;
  }
  if (obj instanceof Namespace)
    return Object.hasOwn(obj.attrs, name) ? obj.attrs[name] : missingAttribute(obj, name);
  if (typeof obj === 'function') {
    const macro = (obj as { jinjaMacro?: Record<string, unknown> }).jinjaMacro;
    if (macro && name in macro) return macro[name];
  }
  if (typeof obj === 'object' || typeof obj === 'function') {
    if (!(name in (obj as object))) return missingAttribute(obj, name);
    const value = (obj as Record<string, unknown>)[name];
    if (typeof value === 'function' && typeof obj === 'object') return value.bind(obj);
    return value === undefined ? missingAttribute(obj, name) : value;
  }
  return missingAttribute(obj, name);
}

function normalizeIndex(index: number, length: number): number | undefined {
  const at = index < 0 ? index + length : index;
  return at >= 0 && at < length ? at : undefined;
}

function sliceBound(value: unknown, fallback: number, length: number, step: number): number {
  if (value === null || value === undefined) return fallback;
  let at = toNumber(value);
  if (at < 0) at = Math.max(at + length, step < 0 ? -1 : 0);
  else if (at >= length) at = step < 0 ? length - 1 : length;
  return at;
}

export interface SliceValue {
  readonly slice: true;
  readonly start: unknown;
  readonly stop: unknown;
  readonly step: unknown;
}

export function pySlice<T>(items: readonly T[], slice: SliceValue): T[] {
  const step = slice.step === null || slice.step === undefined ? 1 : toNumber(slice.step);
  if (step === 0) throw new PyError('ValueError', 'slice step cannot be zero');
  const length = items.length;
  const start = sliceBound(slice.start, step < 0 ? length - 1 : 0, length, step);
  const stop = sliceBound(slice.stop, step < 0 ? -1 : length, length, step);
  const out: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(items[i]!);
  else for (let i = start; i > stop; i += step) out.push(items[i]!);
  return out;
}

function isSlice(key: unknown): key is SliceValue {
  return typeof key === 'object' && key !== null && (key as SliceValue).slice === true;
}

/** `obj[key]`: Jinja2 tries the item first, then the attribute (for a string key). */
export function getItem(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) return failOnUndefined(obj);
  if (typeof obj === 'string' || obj instanceof Markup) {
    const text = String(obj);
    const chars = /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : text;
    if (isSlice(key)) return pySlice(chars as ArrayLike<string> as string[], key).join('');
    if (typeof key === 'number' || typeof key === 'boolean') {
      const at = normalizeIndex(toNumber(key), chars.length);
      return at === undefined ? new Undefined(`${repr(obj)} has no element ${repr(key)}`) : chars[at];
    }
  } else if (Array.isArray(obj)) {
    if (isGenerator(obj)) throw typeError("'generator' object is not subscriptable");
    if (isSlice(key)) {
      const sliced = pySlice(obj, key);
      return isTuple(obj) ? tuple(sliced) : sliced;
    }
    if (typeof key === 'number' || typeof key === 'boolean') {
      const at = normalizeIndex(toNumber(key), obj.length);
      return at === undefined
        ? new Undefined(`${typeName(obj)} object has no element ${repr(key)}`)
        : obj[at];
    }
    if (typeof key === 'string' && Object.hasOwn(obj, key))
      return (obj as unknown as Record<string, unknown>)[key];
  } else if (isDict(obj)) {
    // Dict keys are strings (a literal's `{1: 'a'}` key is stored as '1'), so `d[1]` finds it.
    const name =
      typeof key === 'string'
        ? key
        : key instanceof Markup
          ? key.value
          : typeof key === 'number'
            ? String(key)
            : undefined;
    if (name !== undefined && Object.hasOwn(obj, name)) return obj[name];
  } else if (obj instanceof Namespace) {
    return getAttr(obj, String(key));
  } else if (obj && typeof obj === 'object' && (typeof key === 'string' || typeof key === 'number')) {
    const value = (obj as Record<string, unknown>)[key];
    if (value !== undefined) return typeof value === 'function' ? value.bind(obj) : value;
  }
  if (typeof key === 'string') return getAttr(obj, key);
  return new Undefined(`${typeName(obj)} object has no element ${repr(key)}`);
}

/** A value handed to a JS function: integral floats and Markup become plain numbers and strings. */
function toJs(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof Markup) return value.value;
  if (value instanceof Undefined) return undefined;
  return value;
}

export function callValue(fn: unknown, positional: unknown[], kwargs: Record<string, unknown>): unknown {
  if (typeof fn === 'function') {
    const py = (fn as { [PY]?: PyCallable })[PY];
    if (py) return py(positional, kwargs);
    const args = positional.map(toJs);
    let keywords = false;
    for (const _ in kwargs) {
      keywords = true;
      break;
    }
    if (keywords) {
      const converted: Record<string, unknown> = { __keywords: true };
      for (const name in kwargs) converted[name] = toJs(kwargs[name]);
      args.push(converted);
    }
    const result = (fn as (...a: unknown[]) => unknown)(...args);
    return result === undefined ? null : result;
  }
  if (fn instanceof Undefined) return failOnUndefined(fn);
  throw typeError(`'${typeName(fn)}' object is not callable`);
}

/** Jinja2's loop variable. */
export class LoopContext {
  index0 = 0;
  private lastChanged: unknown = NOT_FOUND;

  constructor(private readonly items: readonly unknown[]) {}

  get length(): number {
    return this.items.length;
  }
  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.items.length - this.index0;
  }
  get revindex0(): number {
    return this.items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.items.length - 1;
  }
  get depth(): number {
    return 1;
  }
  get depth0(): number {
    return 0;
  }
  get previtem(): unknown {
    return this.index0 > 0 ? this.items[this.index0 - 1] : new Undefined('there is no previous item');
  }
  get nextitem(): unknown {
    return this.index0 < this.items.length - 1
      ? this.items[this.index0 + 1]
      : new Undefined('there is no next item');
  }
  cycle(...values: unknown[]): unknown {
    if (values.length === 0) throw typeError('no items for cycling given');
    return values[this.index0 % values.length];
  }
  changed(...values: unknown[]): boolean {
    const key = tuple(values);
    const same = this.lastChanged !== NOT_FOUND && repr(this.lastChanged) === repr(key);
    this.lastChanged = key;
    return !same;
  }
  toString(): string {
    return `<LoopContext ${this.index}/${this.length}>`;
  }
}

export function iterateValue(value: unknown): unknown[] {
  if (value instanceof Undefined) return [];
  return iterate(value);
}
