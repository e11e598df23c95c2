/**
 * Python's value model for templates, mapped onto JavaScript values so JS context functions
 * (ref, config, adapter…) receive ordinary values:
 *   None → null · bool → boolean · int → integer number, or bigint beyond 2^53 · float → a
 *   non-integer number, or `PyFloat` for an integral float (`1.0`, `10/2`) · str → string ·
 *   list → array · tuple → array registered by `tuple()` · dict → plain object (string keys, in
 *   insertion order) · Markup → `Markup` · undefined names → `Undefined`.
 */

export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return floatRepr(this.value);
  }
  /** Inside a value handed to JS (a config dict), JSON sees the number. */
  toJSON(): number {
    return this.value;
  }
}

/** A string marked safe (`| safe`, `| escape`). Printed as its text; `''|safe` is falsy. */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  get length(): number {
    return this.value.length;
  }
  toJSON(): string {
    return this.value;
  }
}

/** Jinja2's default Undefined: prints empty, iterates empty, is falsy, fails on attribute or call. */
export class Undefined {
  constructor(readonly message: string) {}
  toString(): string {
    return '';
  }
  toJSON(): null {
    return null;
  }
}

export class PyError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export const typeError = (message: string) => new PyError('TypeError', message);

const tuples = new WeakSet<object>();
/** Views print like Python's (`dict_items([...])`, `range(0, 3)`) but are plain arrays otherwise. */
const views = new WeakMap<object, string>();

export function tuple<T>(items: T[]): T[] {
  tuples.add(items);
  return items;
}

export function isTuple(value: unknown): boolean {
  return Array.isArray(value) && tuples.has(value);
}

const generators = new WeakSet<object>();

/**
 * What Jinja2's map/select/unique/batch… return: a one-pass generator. Kept as an array, but
 * always truthy, without len() or indexing, and equal only to itself, as in Python.
 */
export function generator<T>(items: T[]): T[] {
  generators.add(items);
  return items;
}

export function isGenerator(value: unknown): boolean {
  return Array.isArray(value) && generators.has(value);
}

export function view<T>(items: T[], name: string): T[] {
  views.set(items, name);
  return items;
}

/**
 * Marks a host object (dbt's Relation) that Python code treats as a Mapping: `x is mapping` holds,
 * as for dbt's relations, which dbt_utils' `_is_relation` checks before reading `x.get('metadata')`.
 */
export const PY_MAPPING: unique symbol = Symbol('dema.pyMapping');

/**
 * Python's operator protocol for objects of dema's own (datetime, timedelta): `value[PY_OPS](op,
 * other, reflected)` answers '+', '-', '*', '==' and 'cmp' (a sign), or NOT_IMPLEMENTED.
 */
export const PY_OPS: unique symbol = Symbol('dema.pyOps');
export const NOT_IMPLEMENTED: unique symbol = Symbol('dema.notImplemented');
type PyOperand = { [PY_OPS]: (op: string, other: unknown, reflected: boolean) => unknown };

/** The first answer of a's operator, then b's reflected one; NOT_IMPLEMENTED when neither has one. */
export function pyOperator(op: string, a: unknown, b: unknown): unknown {
  const has = (v: unknown): v is PyOperand => typeof v === 'object' && v !== null && PY_OPS in v;
  if (has(a)) {
    const result = a[PY_OPS](op, b, false);
    if (result !== NOT_IMPLEMENTED) return result;
  }
  if (!has(b)) return NOT_IMPLEMENTED;
  const reflected = b[PY_OPS](op, a, true);
  return op === 'cmp' && typeof reflected === 'number' ? -reflected : reflected;
}

export function isMappingLike(value: unknown): boolean {
  return isDict(value) || (typeof value === 'object' && value !== null && PY_MAPPING in value);
}

export function isDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isString(value: unknown): value is string | Markup {
  return typeof value === 'string' || value instanceof Markup;
}

export function isFloat(value: unknown): boolean {
  return value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value));
}

export function isInt(value: unknown): boolean {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

export function isNumber(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof PyFloat;
}

export function makeFloat(value: number): number | PyFloat {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

/** An int result: a number while exact, a bigint beyond. */
export function makeInt(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number.NaN;
}

export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === true) return true;
  switch (typeof value) {
    case 'string':
      return value.length > 0;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'function':
      return true;
  }
  if (Array.isArray(value)) return value.length > 0 || generators.has(value);
  if (value instanceof Undefined) return false;
  if (value instanceof Markup) return value.value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (isDict(value)) {
    for (const _ in value) return true;
    return false;
  }
  const length = (value as { length?: unknown }).length;
  return typeof length === 'number' ? length > 0 : true;
}

/** Python's repr() of a float: shortest round-trip digits, exponent outside 1e-4 ≤ |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const size = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${size < 10 ? '0' : ''}${size}`;
  }
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${whole}.${digits.slice(exponent + 1) || '0'}`;
}

export function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa1) || code === 0xad)
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out + quote;
}

function functionRepr(value: { name?: string }): string {
  const macro = (value as { jinjaMacro?: { name: string } }).jinjaMacro;
  return macro ? `<Macro '${macro.name}'>` : `<function ${value.name || 'anonymous'}>`;
}

export function repr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return Number.isInteger(value) ? String(value) : floatRepr(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return strRepr(value);
    case 'function':
      return functionRepr(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof Markup) return `Markup(${strRepr(value.value)})`;
  if (value instanceof Undefined) return 'Undefined';
  if (Array.isArray(value)) {
    if (generators.has(value)) return '<generator object>';
    const items = value.map(repr).join(', ');
    const name = views.get(value);
    if (name) return name.startsWith('range(') ? name : `${name}([${items}])`;
    if (tuples.has(value)) return value.length === 1 ? `(${items},)` : `(${items})`;
    return `[${items}]`;
  }
  if (isDict(value))
    return `{${Object.keys(value)
      .map((key) => `${strRepr(key)}: ${repr(value[key])}`)
      .join(', ')}}`;
  return String(value);
}

/** Python's str(): what `{{ value }}` prints. */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Markup) return value.value;
  if (value instanceof Undefined) return '';
  return repr(value);
}

function bothNumeric(a: unknown, b: unknown): boolean {
  const numeric = (v: unknown) =>
    typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof PyFloat;
  return numeric(a) && numeric(b);
}

function numericEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = typeof a === 'bigint' ? a : toNumber(a);
    const y = typeof b === 'bigint' ? b : toNumber(b);
    // biome-ignore lint/suspicious/noDoubleEquals: bigint against number compares by value
    return x == y;
  }
  return toNumber(a) === toNumber(b);
}

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  const hooked = pyOperator('==', a, b);
  if (hooked !== NOT_IMPLEMENTED) return hooked === true;
  if (bothNumeric(a, b)) return numericEqual(a, b);
  if (isString(a) && isString(b)) return String(a) === String(b);
  if (a === undefined || b === undefined) return a === b || a === null || b === null;
  if (a instanceof Undefined || b instanceof Undefined)
    return a instanceof Undefined && b instanceof Undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (generators.has(a) || generators.has(b)) return false;
    if (tuples.has(a) !== tuples.has(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && pyEquals(a[key], b[key]));
  }
  return false;
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (isInt(value)) return 'int';
  if (isFloat(value)) return 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof Markup) return 'Markup';
  if (value instanceof Undefined) return 'Undefined';
  if (Array.isArray(value)) return tuples.has(value) ? 'tuple' : generators.has(value) ? 'generator' : 'list';
  if (isDict(value)) return 'dict';
  if (typeof value === 'function') return 'function';
  return (value as object).constructor?.name ?? 'object';
}

/** Python's ordering (<): numbers, strings, and lists/tuples lexicographically; else TypeError. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  const hooked = pyOperator('cmp', a, b);
  if (typeof hooked === 'number') return hooked;
  if (bothNumeric(a, b)) {
    if (typeof a === 'bigint' || typeof b === 'bigint') {
      const x = typeof a === 'bigint' ? a : toNumber(a);
      const y = typeof b === 'bigint' ? b : toNumber(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = toNumber(a);
    const y = toNumber(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
  }
  if (isString(a) && isString(b)) {
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b) && tuples.has(a) === tuples.has(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++)
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op);
    return a.length - b.length;
  }
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}
