import { strFormat } from './format.ts';
import { percentFormat } from './ops.ts';
import {
  isDict,
  isString,
  isTuple,
  Markup,
  PyError,
  pyCompare,
  pyEquals,
  repr,
  toNumber,
  tuple,
  typeError,
  view,
} from './values.ts';

/**
 * Python's str, list and dict methods (`x.upper()`, `cols.append(c)`, `d.items()`). A method is a
 * function of (self, positional, kwargs); mutators return None, as in Python.
 */

export type Method = (self: never, args: unknown[], kwargs: Record<string, unknown>) => unknown;

function strip(text: string, chars: unknown, start: boolean, end: boolean): string {
  if (chars === undefined || chars === null) {
    let out = text;
    if (start) out = out.replace(/^\s+/, '');
    if (end) out = out.replace(/\s+$/, '');
    return out;
  }
  const set = String(chars);
  let from = 0;
  let to = text.length;
  while (start && from < to && set.includes(text[from]!)) from++;
  while (end && to > from && set.includes(text[to - 1]!)) to--;
  return text.slice(from, to);
}

function split(text: string, separator: unknown, limit: unknown, fromRight = false): string[] {
  const max = limit === undefined || limit === null ? -1 : toNumber(limit);
  if (separator === undefined || separator === null) {
    const words = text.split(/\s+/).filter(Boolean);
    if (max < 0 || words.length <= max + 1) return words;
    if (fromRight) {
      // The head keeps its leading whitespace, as Python's rsplit does.
      let rest = text.replace(/\s+$/, '');
      const parts: string[] = [];
      for (let i = 0; i < max; i++) {
        const match = /\s+(\S+)$/.exec(rest)!;
        parts.unshift(match[1]!);
        rest = rest.slice(0, match.index);
      }
      return [rest, ...parts];
    }
    let rest = text.replace(/^\s+/, '');
    const parts: string[] = [];
    for (let i = 0; i < max; i++) {
      const match = /^(\S+)\s+/.exec(rest)!;
      parts.push(match[1]!);
      rest = rest.slice(match[0].length);
    }
    return [...parts, rest];
  }
  const sep = String(separator);
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const parts = text.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  if (fromRight) return [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)];
  return [...parts.slice(0, max), parts.slice(max).join(sep)];
}

function affix(self: string, value: unknown, test: (s: string, a: string) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => test(self, String(item)));
  if (!isString(value)) throw typeError('startswith first arg must be str or a tuple of str');
  return test(self, String(value));
}

function findIndex(haystack: string, needle: unknown, fromRight: boolean): number {
  return fromRight ? haystack.lastIndexOf(String(needle)) : haystack.indexOf(String(needle));
}

/** Python's str.title: a cased character after an uncased one is upper-cased, the rest lowered. */
function title(text: string): string {
  let out = '';
  let previousCased = false;
  for (const char of text) {
    const cased = char.toLowerCase() !== char.toUpperCase();
    out += cased ? (previousCased ? char.toLowerCase() : char.toUpperCase()) : char;
    previousCased = cased;
  }
  return out;
}

export const STRING_METHODS: Record<
  string,
  (self: string, args: unknown[], kwargs: Record<string, unknown>) => unknown
> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  strip: (s, [chars]) => strip(s, chars, true, true),
  lstrip: (s, [chars]) => strip(s, chars, true, false),
  rstrip: (s, [chars]) => strip(s, chars, false, true),
  split: (s, [sep, max], kw) => split(s, sep ?? kw.sep, max ?? kw.maxsplit),
  rsplit: (s, [sep, max], kw) => split(s, sep ?? kw.sep, max ?? kw.maxsplit, true),
  splitlines: (s) => s.split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== ''),
  join: (s, [items]) =>
    iterate(items)
      .map((item) => {
        if (!isString(item)) throw typeError(`sequence item 0: expected str instance, ${typeof item} found`);
        return String(item);
      })
      .join(s),
  replace: (s, [from, to, count]) => {
    const parts = String(from) === '' ? ['', ...Array.from(s), ''] : s.split(String(from));
    const max = count === undefined ? -1 : toNumber(count);
    if (max < 0 || parts.length <= max + 1) return parts.join(String(to));
    return parts.slice(0, max + 1).join(String(to)) + String(from) + parts.slice(max + 1).join(String(from));
  },
  startswith: (s, [prefix]) => affix(s, prefix, (a, b) => a.startsWith(b)),
  endswith: (s, [suffix]) => affix(s, suffix, (a, b) => a.endsWith(b)),
  find: (s, [needle]) => findIndex(s, needle, false),
  rfind: (s, [needle]) => findIndex(s, needle, true),
  index: (s, [needle]) => {
    const at = findIndex(s, needle, false);
    if (at < 0) throw new PyError('ValueError', 'substring not found');
    return at;
  },
  rindex: (s, [needle]) => {
    const at = findIndex(s, needle, true);
    if (at < 0) throw new PyError('ValueError', 'substring not found');
    return at;
  },
  count: (s, [needle]) => {
    if (!isString(needle)) throw typeError(`must be str, not ${typeof needle}`);
    return String(needle) === '' ? s.length + 1 : s.split(String(needle)).length - 1;
  },
  title: (s) => title(s),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\d]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => s !== s.toUpperCase() && s === s.toLowerCase(),
  isupper: (s) => s !== s.toLowerCase() && s === s.toUpperCase(),
  isidentifier: (s) => /^[A-Za-z_]\w*$/.test(s),
  zfill: (s, [width]) => {
    const sign = /^[-+]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(toNumber(width) - sign.length, '0');
  },
  ljust: (s, [width, fill]) => s.padEnd(toNumber(width), fill === undefined ? ' ' : String(fill)),
  rjust: (s, [width, fill]) => s.padStart(toNumber(width), fill === undefined ? ' ' : String(fill)),
  center: (s, [width, fill]) => center(s, toNumber(width), fill === undefined ? ' ' : String(fill)),
  partition: (s, [sep]) => {
    const at = s.indexOf(String(sep));
    return tuple(at < 0 ? [s, '', ''] : [s.slice(0, at), String(sep), s.slice(at + String(sep).length)]);
  },
  rpartition: (s, [sep]) => {
    const at = s.lastIndexOf(String(sep));
    return tuple(at < 0 ? ['', '', s] : [s.slice(0, at), String(sep), s.slice(at + String(sep).length)]);
  },
  removeprefix: (s, [prefix]) => (s.startsWith(String(prefix)) ? s.slice(String(prefix).length) : s),
  removesuffix: (s, [suffix]) =>
    String(suffix) && s.endsWith(String(suffix)) ? s.slice(0, -String(suffix).length) : s,
  format: (s, args, kwargs) => strFormat(s, args, kwargs),
  __mod__: (s, [args]) => percentFormat(s, args),
};

export function center(text: string, width: number, fill = ' '): string {
  const total = width - text.length;
  if (total <= 0) return text;
  // Python puts the odd extra character on the left when the text's length is odd… and width even.
  const left = Math.floor(total / 2) + (total & width & 1);
  return fill.repeat(left) + text + fill.repeat(total - left);
}

/** Items of any iterable template value (a dict gives its keys, a string its characters). */
export function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (value instanceof Markup) return Array.from(value.value);
  if (isDict(value)) return Object.keys(value);
  if (value === null || value === undefined) throw typeError("'NoneType' object is not iterable");
  if (typeof value === 'object' && Symbol.iterator in value) return Array.from(value as Iterable<unknown>);
  if (
    typeof value === 'object' &&
    (value as { constructor?: { name?: string } }).constructor?.name === 'Undefined'
  )
    return [];
  throw typeError(`'${typeof value === 'number' ? 'int' : typeof value}' object is not iterable`);
}

function listIndex(list: unknown[], value: unknown): number {
  const at = list.findIndex((item) => pyEquals(item, value));
  if (at < 0) throw new PyError('ValueError', `${repr(value)} is not in list`);
  return at;
}

export function sortKey(a: unknown, b: unknown): number {
  return pyCompare(a, b);
}

export const LIST_METHODS: Record<
  string,
  (self: unknown[], args: unknown[], kwargs: Record<string, unknown>) => unknown
> = {
  append: (list, [item]) => {
    list.push(item);
    return null;
  },
  extend: (list, [items]) => {
    list.push(...iterate(items));
    return null;
  },
  insert: (list, [index, item]) => {
    let at = toNumber(index);
    if (at < 0) at = Math.max(0, list.length + at);
    list.splice(at, 0, item);
    return null;
  },
  pop: (list, [index]) => {
    if (list.length === 0) throw new PyError('IndexError', 'pop from empty list');
    let at = index === undefined ? list.length - 1 : toNumber(index);
    if (at < 0) at += list.length;
    if (at < 0 || at >= list.length) throw new PyError('IndexError', 'pop index out of range');
    return list.splice(at, 1)[0];
  },
  remove: (list, [item]) => {
    list.splice(listIndex(list, item), 1);
    return null;
  },
  index: (list, [item]) => listIndex(list, item),
  count: (list, [item]) => list.filter((x) => pyEquals(x, item)).length,
  sort: (list, _args, kwargs) => {
    list.sort(sortKey);
    if (kwargs.reverse === true) list.reverse();
    return null;
  },
  reverse: (list) => {
    list.reverse();
    return null;
  },
  copy: (list) => [...list],
  clear: (list) => {
    list.length = 0;
    return null;
  },
};

const TUPLE_METHODS = { index: LIST_METHODS.index!, count: LIST_METHODS.count! };

function update(dict: Record<string, unknown>, [other]: unknown[], kwargs: Record<string, unknown>): null {
  if (isDict(other)) Object.assign(dict, other);
  else if (other !== undefined && other !== null)
    for (const pair of iterate(other)) {
      const [key, value] = iterate(pair);
      dict[String(key)] = value;
    }
  Object.assign(dict, kwargs);
  return null;
}

export const DICT_METHODS: Record<
  string,
  (self: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown>) => unknown
> = {
  items: (d) =>
    view(
      Object.keys(d).map((key) => tuple([key, d[key]])),
      'dict_items',
    ),
  keys: (d) => view(Object.keys(d), 'dict_keys'),
  values: (d) => view(Object.values(d), 'dict_values'),
  get: (d, [key, fallback]) => (Object.hasOwn(d, String(key)) ? d[String(key)] : (fallback ?? null)),
  update,
  pop: (d, args) => {
    const key = String(args[0]);
    if (Object.hasOwn(d, key)) {
      const value = d[key];
      delete d[key];
      return value;
    }
    if (args.length > 1) return args[1];
    throw new PyError('KeyError', repr(args[0]));
  },
  setdefault: (d, [key, fallback]) => {
    if (!Object.hasOwn(d, String(key))) d[String(key)] = fallback ?? null;
    return d[String(key)];
  },
  copy: (d) => ({ ...d }),
  clear: (d) => {
    for (const key of Object.keys(d)) delete d[key];
    return null;
  },
};

/** The bound method `name` of a str, list/tuple or dict, or undefined. */
export function builtinMethod(self: unknown, name: string): Method | undefined {
  if (typeof self === 'string' || self instanceof Markup) return STRING_METHODS[name] as Method | undefined;
  if (Array.isArray(self))
    return (isTuple(self) ? (TUPLE_METHODS as Record<string, Method>)[name] : LIST_METHODS[name]) as
      | Method
      | undefined;
  if (isDict(self)) return DICT_METHODS[name] as Method | undefined;
  return undefined;
}
