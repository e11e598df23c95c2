import { getItem, Namespace, UndefinedError } from '../engine/runtime.ts';
import { iterate } from './methods.ts';
import { binary } from './ops.ts';
import {
  generator,
  isDict,
  isGenerator,
  isString,
  makeFloat,
  PyFloat,
  pyCompare,
  pyEquals,
  repr,
  toNumber,
  truthy,
  tuple,
  typeError,
  typeName,
  Undefined,
} from './values.ts';

/** The workings of the filters in filters.ts: argument binding, attribute getters, sorting, conversions. */

/**
 * Jinja2's builtin filters (those dbt projects use) and dbt's own (`as_text`, `as_bool`,
 * `as_number`, `as_native`). A filter is (value, positional, kwargs, env) → value; `arg()` reads
 * a parameter by position or name, as Python binds them.
 */

export interface FilterEnv {
  callFilter(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown;
  callTest(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): boolean;
}

export type Filter = (
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
  env: FilterEnv,
) => unknown;

export function arg(
  args: unknown[],
  kwargs: Record<string, unknown>,
  index: number,
  name: string,
  fallback?: unknown,
): unknown {
  if (index < args.length) return args[index];
  if (Object.hasOwn(kwargs, name)) return kwargs[name];
  return fallback;
}

/** `attribute='a.b'` or an integer index, as Jinja2's make_attrgetter resolves it. */
export function attrGetter(attribute: unknown, fallback?: unknown): (item: unknown) => unknown {
  if (attribute === undefined || attribute === null) return (item) => item;
  const parts = typeof attribute === 'string' ? attribute.split('.') : [attribute];
  return (item) => {
    let value = item;
    for (const part of parts)
      value = getItem(value, typeof part === 'string' && /^\d+$/.test(part) ? Number(part) : part);
    if (value instanceof Undefined && fallback !== undefined) return fallback;
    return value;
  };
}

export function ignoreCase(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

export function sortKeyed(items: unknown[], key: (item: unknown) => unknown, reverse: boolean): unknown[] {
  const sorted = items.map((item) => [key(item), item] as const).sort((a, b) => pyCompare(a[0], b[0]));
  const out = sorted.map(([, item]) => item);
  if (reverse) {
    // Python's sort(reverse=True) keeps equal items in their original order.
    const decorated = items.map((item, i) => [key(item), i, item] as const);
    decorated.sort((a, b) => pyCompare(b[0], a[0]) || a[1] - b[1]);
    return decorated.map(([, , item]) => item);
  }
  return out;
}

export function caseKey(
  kwargs: Record<string, unknown>,
  args: unknown[],
  caseIndex: number,
  attribute: unknown,
) {
  const caseSensitive = truthy(arg(args, kwargs, caseIndex, 'case_sensitive', false));
  const getter = attrGetter(attribute);
  return (item: unknown) => {
    const value = getter(item);
    return caseSensitive ? value : ignoreCase(value);
  };
}

export function fail(error: Error): never {
  throw error;
}

export function toInt(value: unknown, fallback: unknown = 0, base = 10): unknown {
  if (value instanceof Undefined) throw new UndefinedError(value.message);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || value instanceof PyFloat) return Math.trunc(toNumber(value));
  if (typeof value === 'bigint') return value;
  if (isString(value)) {
    const text = String(value).trim().replace(/_/g, '');
    const digits = base === 10 ? /^[-+]?\d+$/ : /^[-+]?(0[xob])?[\da-f]+$/i;
    if (digits.test(text)) {
      const parsed = base === 10 ? BigInt(text) : BigInt(Number.parseInt(text, base));
      return parsed >= -9007199254740991n && parsed <= 9007199254740991n ? Number(parsed) : parsed;
    }
    const float = toFloat(text, null);
    if (float !== null) return Math.trunc(toNumber(float));
  }
  return fallback;
}

export function toFloat(value: unknown, fallback: unknown = new PyFloat(0)): unknown {
  if (value instanceof Undefined) throw new UndefinedError(value.message);
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value instanceof PyFloat ||
    typeof value === 'bigint'
  )
    return makeFloat(toNumber(value));
  if (isString(value)) {
    const text = String(value).trim().toLowerCase().replace(/_/g, '');
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(text)) return makeFloat(Number(text));
    if (/^[-+]?(inf|infinity)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/.test(text)) return Number.NaN;
  }
  return fallback;
}

export function length(value: unknown): number {
  if (value instanceof Undefined) return 0;
  if (isString(value)) return Array.from(String(value)).length;
  if (isGenerator(value)) throw typeError("object of type 'generator' has no len()");
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  const size = (value as { length?: unknown } | null)?.length;
  if (typeof size === 'number') return size;
  throw typeError(`object of type '${typeof value}' has no len()`);
}

export function selectOrReject(keep: boolean, byAttribute: boolean): Filter {
  return (value, args, kwargs, env) => {
    const items = iterate(value instanceof Undefined ? [] : value);
    const getter = byAttribute ? attrGetter(args[0]) : (item: unknown) => item;
    const rest = byAttribute ? args.slice(1) : args;
    const test = rest.length
      ? (item: unknown) => env.callTest(String(rest[0]), item, rest.slice(1), kwargs)
      : truthy;
    return generator(items.filter((item) => test(getter(item)) === keep));
  };
}

export function sum(value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const getter = attrGetter(arg(args, kwargs, 0, 'attribute'));
  let total: unknown = arg(args, kwargs, 1, 'start', 0);
  for (const item of iterate(value)) total = binary('+', total, getter(item));
  return total;
}

export function extreme(sign: 1 | -1): Filter {
  return (value, args, kwargs) => {
    const items = iterate(value);
    if (items.length === 0) return new Undefined(`No aggregated item, sequence was empty.`);
    const key = caseKey(kwargs, args, 0, arg(args, kwargs, 1, 'attribute'));
    let best = items[0];
    for (const item of items.slice(1)) if (pyCompare(key(item), key(best)) * sign < 0) best = item;
    return best;
  };
}

export function needString(value: unknown, filter: string): string {
  if (!isString(value)) throw typeError(`the ${filter} filter needs a string, not ${typeName(value)}`);
  return String(value);
}

export function truncate(value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const size = toNumber(arg(args, kwargs, 0, 'length', 255));
  if (!isString(value) && length(value) <= size + toNumber(arg(args, kwargs, 3, 'leeway', 5))) return value;
  const text = needString(value, 'truncate');
  const killwords = truthy(arg(args, kwargs, 1, 'killwords', false));
  const end = String(arg(args, kwargs, 2, 'end', '...'));
  const leeway = toNumber(arg(args, kwargs, 3, 'leeway', 5));
  if (text.length <= size + leeway) return text;
  if (killwords) return text.slice(0, size - end.length) + end;
  const cut = text.slice(0, size - end.length);
  const space = cut.lastIndexOf(' ');
  return (space === -1 ? '' : cut.slice(0, space)) + end;
}

export function indent(value: unknown, args: unknown[], kwargs: Record<string, unknown>): string {
  const width = arg(args, kwargs, 0, 'width', 4);
  const first = truthy(arg(args, kwargs, 1, 'first', false));
  const blank = truthy(arg(args, kwargs, 2, 'blank', false));
  const pad = typeof width === 'string' ? width : ' '.repeat(toNumber(width));
  let text = needString(value, 'indent');
  let newline = '\n';
  if (text.endsWith('\n')) {
    text = text.slice(0, -1);
    newline = '\n\n';
  } else newline = '\n';
  const lines = text.split('\n');
  let out = lines.map((line, i) => (i === 0 ? line : blank || line ? pad + line : line)).join('\n');
  if (newline === '\n\n') out += '\n';
  if (first) out = pad + out;
  return out;
}

export function jsonDump(value: unknown, indentBy: unknown): string {
  const level = indentBy === undefined || indentBy === null ? undefined : toNumber(indentBy);
  const encode = (v: unknown, depth: number): string => {
    if (v instanceof Undefined) throw typeError('Object of type Undefined is not JSON serializable');
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'number' || v instanceof PyFloat || typeof v === 'bigint')
      return repr(v).replace(/^inf$/, 'Infinity');
    if (isString(v))
      return JSON.stringify(String(v)).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    const pad = level === undefined ? '' : `\n${' '.repeat(level * (depth + 1))}`;
    const close = level === undefined ? '' : `\n${' '.repeat(level * depth)}`;
    const sep = level === undefined ? ', ' : ',';
    if (Array.isArray(v))
      return v.length ? `[${v.map((item) => pad + encode(item, depth + 1)).join(sep)}${close}]` : '[]';
    if (isDict(v) || v instanceof Namespace) {
      const dict = v instanceof Namespace ? v.attrs : v;
      const keys = Object.keys(dict).sort();
      return keys.length
        ? `{${keys.map((k) => `${pad}${encode(k, depth + 1)}: ${encode(dict[k], depth + 1)}`).join(sep)}${close}}`
        : '{}';
    }
    throw typeError(`Object of type ${typeof v} is not JSON serializable`);
  };
  return encode(value, 0)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/'/g, '\\u0027');
}

export function groupby(value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown[] {
  const key = caseKey(kwargs, args, 2, arg(args, kwargs, 0, 'attribute'));
  const getter = attrGetter(arg(args, kwargs, 0, 'attribute'), arg(args, kwargs, 1, 'default'));
  const sorted = sortKeyed(iterate(value), key, false);
  const groups: unknown[] = [];
  for (const item of sorted) {
    const last = groups.at(-1) as { grouper: unknown; list: unknown[]; k: unknown } | undefined;
    if (last && pyEquals(last.k, key(item))) last.list.push(item);
    else {
      const group = tuple([getter(item), [item]]) as unknown[] & {
        grouper: unknown;
        list: unknown[];
        k: unknown;
      };
      Object.defineProperties(group, {
        grouper: { value: group[0] },
        list: { value: group[1] },
        k: { value: key(item) },
      });
      groups.push(group);
    }
  }
  return groups;
}

/** dbt's as_native: the Python literal a rendered string spells, else the string. */
export function asNative(value: unknown): unknown {
  if (!isString(value)) return value;
  const text = String(value).trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^-?\d+\.\d*$/.test(text)) return makeFloat(Number(text));
  if (text === 'True' || text === 'true') return true;
  if (text === 'False' || text === 'false') return false;
  if (text === 'None') return null;
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(
        text
          .replace(/'/g, '"')
          .replace(/\bTrue\b/g, 'true')
          .replace(/\bFalse\b/g, 'false')
          .replace(/\bNone\b/g, 'null'),
      );
    } catch {
      return value;
    }
  }
  return value;
}
