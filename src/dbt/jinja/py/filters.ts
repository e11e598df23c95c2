import { getAttr, UndefinedError } from '../engine/runtime.ts';
import {
  arg,
  asNative,
  attrGetter,
  caseKey,
  extreme,
  type Filter,
  fail,
  groupby,
  ignoreCase,
  indent,
  jsonDump,
  length,
  selectOrReject,
  sortKeyed,
  sum,
  toFloat,
  toInt,
  truncate,
} from './filter-helpers.ts';
import { center, iterate, STRING_METHODS } from './methods.ts';
import { escapeHtml, percentFormat, roundHalfEven } from './ops.ts';
import {
  generator,
  isDict,
  isFloat,
  isGenerator,
  isNumber,
  isString,
  Markup,
  makeFloat,
  PyError,
  PyFloat,
  pyEquals,
  str,
  toNumber,
  truthy,
  tuple,
  typeError,
  typeName,
  Undefined,
} from './values.ts';

export type { Filter, FilterEnv } from './filter-helpers.ts';

/**
 * Jinja2's builtin filters (those dbt projects use) and dbt's own (`as_text`, `as_bool`,
 * `as_number`, `as_native`): (value, positional, kwargs, env) → value.
 */

export const FILTERS: Record<string, Filter> = {
  abs: (v) =>
    !isNumber(v) && typeof v !== 'boolean'
      ? fail(typeError(`bad operand type for abs(): '${typeName(v)}'`))
      : typeof v === 'bigint'
        ? v < 0n
          ? -v
          : v
        : isFloat(v)
          ? makeFloat(Math.abs(toNumber(v)))
          : Math.abs(toNumber(v)),
  attr: (v, [name]) => getAttr(v, String(name)),
  batch: (v, args, kwargs) => {
    const size = toNumber(arg(args, kwargs, 0, 'linecount'));
    const fill = arg(args, kwargs, 1, 'fill_with');
    const items = iterate(v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    const last = out.at(-1);
    if (fill !== undefined && last) while (last.length < size) last.push(fill);
    return generator(out);
  },
  capitalize: (v) => STRING_METHODS.capitalize!(str(v), [], {}),
  center: (v, args, kwargs) => center(str(v), toNumber(arg(args, kwargs, 0, 'width', 80))),
  default: (v, args, kwargs) => {
    const fallback = arg(args, kwargs, 0, 'default_value', '');
    const boolean = truthy(arg(args, kwargs, 1, 'boolean', false));
    return v instanceof Undefined || (boolean && !truthy(v)) ? fallback : v;
  },
  dictsort: (v, args, kwargs) => {
    if (!isDict(v)) throw new PyError('AttributeError', `'${typeName(v)}' object has no attribute 'items'`);
    const byValue = arg(args, kwargs, 1, 'by', 'key') === 'value';
    const items = Object.keys(v as Record<string, unknown>).map((k) =>
      tuple([k, (v as Record<string, unknown>)[k]]),
    );
    const caseSensitive = truthy(arg(args, kwargs, 0, 'case_sensitive', false));
    const key = (item: unknown) => {
      const value = (item as unknown[])[byValue ? 1 : 0];
      return caseSensitive ? value : ignoreCase(value);
    };
    return sortKeyed(items, key, truthy(arg(args, kwargs, 2, 'reverse', false)));
  },
  escape: (v) => new Markup(escapeHtml(v)),
  first: (v) => {
    const items = iterate(v instanceof Undefined ? [] : v);
    return items.length ? items[0] : new Undefined('No first item, sequence was empty.');
  },
  float: (v, args, kwargs) => toFloat(v, arg(args, kwargs, 0, 'default', new PyFloat(0))),
  forceescape: (v) => new Markup(escapeHtml(str(v))),
  format: (v, args, kwargs) => percentFormat(str(v), Object.keys(kwargs).length ? kwargs : tuple(args)),
  groupby,
  indent,
  int: (v, args, kwargs) =>
    toInt(v, arg(args, kwargs, 0, 'default', 0), toNumber(arg(args, kwargs, 1, 'base', 10))),
  items: (v) =>
    !isDict(v) && !(v instanceof Undefined)
      ? fail(typeError('Can only get item pairs from a mapping.'))
      : v instanceof Undefined
        ? []
        : Object.keys(v as object).map((k) => tuple([k, (v as Record<string, unknown>)[k]])),
  join: (v, args, kwargs) => {
    const getter = attrGetter(arg(args, kwargs, 1, 'attribute'));
    const items = iterate(v instanceof Undefined ? [] : v).map(getter);
    const separator = arg(args, kwargs, 0, 'd', '');
    const text = items.map(str).join(str(separator));
    return items.some((item) => item instanceof Markup) ? new Markup(text) : text;
  },
  last: (v) => {
    if (isGenerator(v)) throw typeError("'generator' object is not reversible");
    const items = iterate(v instanceof Undefined ? [] : v);
    return items.length ? items.at(-1) : new Undefined('No last item, sequence was empty.');
  },
  length,
  list: (v) => [...iterate(v instanceof Undefined ? [] : v)],
  lower: (v) => str(v).toLowerCase(),
  map: (v, args, kwargs, env) => {
    const items = iterate(v instanceof Undefined ? [] : v);
    if (args.length === 0 && Object.hasOwn(kwargs, 'attribute')) {
      const getter = attrGetter(kwargs.attribute, kwargs.default);
      return generator(items.map(getter));
    }
    const [name, ...rest] = args;
    return generator(items.map((item) => env.callFilter(String(name), item, rest, kwargs)));
  },
  max: extreme(-1),
  min: extreme(1),
  reject: selectOrReject(false, false),
  rejectattr: selectOrReject(false, true),
  replace: (v, args, kwargs) => {
    const count = arg(args, kwargs, 2, 'count');
    const out = STRING_METHODS.replace!(
      str(v),
      [str(args[0]), str(args[1]), ...(count === undefined || count === null ? [] : [count])],
      {},
    );
    return v instanceof Markup ? new Markup(out as string) : out;
  },
  random: (v) => {
    const items = iterate(v);
    return items[Math.floor(Math.random() * items.length)];
  },
  reverse: (v) =>
    isString(v) ? Array.from(String(v)).reverse().join('') : generator([...iterate(v)].reverse()),
  round: (v, args, kwargs) => {
    const precision = toNumber(arg(args, kwargs, 0, 'precision', 0));
    const method = arg(args, kwargs, 1, 'method', 'common');
    if (!isNumber(v) && typeof v !== 'boolean')
      throw typeError(`type ${typeName(v)} doesn't define __round__ method`);
    const x = toNumber(v);
    if (method === 'common')
      return isFloat(v) ? makeFloat(roundHalfEven(x, precision)) : typeof v === 'boolean' ? x : v;
    if (method !== 'ceil' && method !== 'floor') throw typeError('method must be common, ceil or floor');
    const scale = 10 ** precision;
    return makeFloat((method === 'ceil' ? Math.ceil(x * scale) : Math.floor(x * scale)) / scale);
  },
  safe: (v) => (v instanceof Markup ? v : new Markup(str(v))),
  select: selectOrReject(true, false),
  selectattr: selectOrReject(true, true),
  slice: (v, args, kwargs) => {
    const items = iterate(v);
    const slices = toNumber(arg(args, kwargs, 0, 'slices'));
    const fill = arg(args, kwargs, 1, 'fill_with');
    const per = Math.floor(items.length / slices);
    const extra = items.length % slices;
    const out: unknown[][] = [];
    let offset = 0;
    for (let i = 0; i < slices; i++) {
      const size = per + (i < extra ? 1 : 0);
      const part = items.slice(offset, offset + size);
      offset += size;
      if (fill !== undefined && i >= extra && extra > 0) part.push(fill);
      out.push(part);
    }
    return generator(out);
  },
  sort: (v, args, kwargs) =>
    sortKeyed(
      [...iterate(v)],
      caseKey(kwargs, args, 1, arg(args, kwargs, 2, 'attribute')),
      truthy(arg(args, kwargs, 0, 'reverse', false)),
    ),
  string: (v) => (v instanceof Markup ? v : str(v)),
  striptags: (v) =>
    str(v)
      .replace(/<!--[\s\S]*?-->|<[^>]*>/g, '')
      .replace(/\s+/g, ' ')
      .trim(),
  sum,
  title: (v) =>
    str(v).replace(
      /([-\s({[<]+|^)([^-\s({[<]*)/g,
      (_m, sep: string, word: string) => sep + word.charAt(0).toUpperCase() + word.slice(1).toLowerCase(),
    ),
  tojson: (v, args, kwargs) => new Markup(jsonDump(v, arg(args, kwargs, 0, 'indent'))),
  trim: (v, args, kwargs) => STRING_METHODS.strip!(str(v), [arg(args, kwargs, 0, 'chars')], {}),
  truncate,
  unique: (v, args, kwargs) => {
    const key = caseKey(kwargs, args, 0, arg(args, kwargs, 1, 'attribute'));
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const item of iterate(v)) {
      const k = key(item);
      if (seen.some((s) => pyEquals(s, k))) continue;
      seen.push(k);
      out.push(item);
    }
    return generator(out);
  },
  upper: (v) => str(v).toUpperCase(),
  urlencode: (v) => encodeURIComponent(str(v)).replace(/%2F/g, '/'),
  wordcount: (v) => (str(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  // dbt's own filters (dbt-core's jinja.py), and dema's.
  as_text: (v) => (v === null || v === undefined || v instanceof Undefined ? '' : str(v)),
  as_bool: (v) => asNative(v) === true,
  as_number: (v) => {
    const native = asNative(v);
    return typeof native === 'number' || native instanceof PyFloat ? native : toFloat(v, Number.NaN);
  },
  as_native: (v) => asNative(v),
  is_list: (v) => Array.isArray(v),
  map_lower: (v) => iterate(v).map((item) => str(item).toLowerCase()),
};
FILTERS.d = FILTERS.default!;
FILTERS.e = FILTERS.escape!;
FILTERS.count = FILTERS.length!;

export function missingFilterError(name: string): PyError {
  return new PyError('TemplateAssertionError', `No filter named '${name}'.`);
}

export { UndefinedError };
