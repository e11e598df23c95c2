import { formatExp, formatFixed, formatGeneral, percentFormat } from './ops.ts';
import {
  isDict,
  isString,
  isTuple,
  Markup,
  PyError,
  pyCompare,
  pyEquals,
  repr,
  str,
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
      const trimmed = text.replace(/\s+$/, '');
      const tail = words.slice(words.length - max);
      const head = trimmed.slice(0, trimmed.length - tail.join(' ').length).replace(/\s+$/, '');
      // Rebuild the head from the original text so inner whitespace is kept.
      let rest = trimmed;
      const parts: string[] = [];
      for (let i = 0; i < max; i++) {
        const match = /\s+(\S+)$/.exec(rest)!;
        parts.unshift(match[1]!);
        rest = rest.slice(0, match.index);
      }
      return [rest.replace(/^\s+/, '') || head, ...parts];
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

function title(text: string): string {
  return text
    .toLowerCase()
    .replace(/(^|[^a-zA-Z])([a-z])/g, (_m, before: string, letter: string) => before + letter.toUpperCase());
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

/** str.format: `{}`, `{0}`, `{name}`, `{0.attr}`, `{!r}`, and the format-spec mini-language. */
export function strFormat(template: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return template.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
    (whole, field: string | undefined, conversion?: string, spec?: string) => {
      if (whole === '{{') return '{';
      if (whole === '}}') return '}';
      const [head, ...path] = (field ?? '').split(/(?=[.[])/);
      let value: unknown =
        head === '' || head === undefined
          ? args[auto++]
          : /^\d+$/.test(head)
            ? args[Number(head)]
            : kwargs[head];
      if (value === undefined)
        throw new PyError(
          head && !/^\d+$/.test(head) ? 'KeyError' : 'IndexError',
          `Replacement index ${head || auto - 1} out of range for positional args tuple`,
        );
      for (const step of path) {
        const key = step.startsWith('.') ? step.slice(1) : step.slice(1, -1);
        value = Array.isArray(value) ? value[Number(key)] : (value as Record<string, unknown>)[key];
      }
      if (conversion === 'r' || conversion === 'a') value = repr(value);
      else if (conversion === 's') value = str(value);
      return formatSpec(value, spec ?? '');
    },
  );
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

export function formatSpec(value: unknown, spec: string): string {
  const match = SPEC.exec(spec);
  if (!match) throw new PyError('ValueError', `Invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, sign, , alternate, zero, widthText, grouping, precisionText, type] = match;
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  const numeric =
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    (value as object)?.constructor?.name === 'PyFloat';
  let text: string;
  if (!numeric) {
    if (type && type !== 's')
      throw new PyError('ValueError', `Unknown format code '${type}' for object of type 'str'`);
    text = str(value);
    if (precision !== undefined) text = text.slice(0, precision);
  } else {
    const x = toNumber(value);
    const integer = typeof value === 'bigint' || (typeof value !== 'object' && Number.isInteger(value));
    switch (type) {
      case 'd':
      case 'n':
        text = String(typeof value === 'bigint' ? value : Math.trunc(x));
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        const radix = { x: 16, X: 16, o: 8, b: 2 }[type];
        text = (typeof value === 'bigint' ? value : Math.trunc(x)).toString(radix);
        if (type === 'X') text = text.toUpperCase();
        if (alternate) text = text.replace(/^(-?)/, `$10${type}`);
        break;
      }
      case 'c':
        text = String.fromCodePoint(x);
        break;
      case 'e':
      case 'E':
        text = formatExp(x, precision ?? 6, type === 'E');
        break;
      case 'f':
      case 'F':
        text = formatFixed(x, precision ?? 6);
        break;
      case 'g':
      case 'G':
        text = formatGeneral(x, precision ?? 6, alternate !== undefined);
        if (type === 'G') text = text.toUpperCase();
        break;
      case '%':
        text = `${formatFixed(x * 100, precision ?? 6)}%`;
        break;
      default:
        text = precision !== undefined && !integer ? formatGeneral(x, precision) : str(value);
    }
    if (grouping) {
      const [whole, fraction] = text.split('.') as [string, string | undefined];
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, grouping);
      text = fraction === undefined ? grouped : `${grouped}.${fraction}`;
    }
    if (sign === '+' && !text.startsWith('-')) text = `+${text}`;
    else if (sign === ' ' && !text.startsWith('-')) text = ` ${text}`;
  }
  const width = widthText === undefined ? 0 : Number(widthText);
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  const align = alignChar ?? (zero && numeric ? '=' : numeric ? '>' : '<');
  const missing = width - text.length;
  if (missing <= 0) return text;
  if (align === '<') return text + fill.repeat(missing);
  if (align === '>') return fill.repeat(missing) + text;
  if (align === '^') {
    const left = Math.floor(missing / 2);
    return fill.repeat(left) + text + fill.repeat(missing - left);
  }
  const signPart = /^[-+ ]/.test(text) ? text[0]! : '';
  return signPart + fill.repeat(missing) + text.slice(signPart.length);
}
