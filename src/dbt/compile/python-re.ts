import { splitArgs } from '../jinja/engine/runtime.ts';
import { tuple } from '../jinja/py/values.ts';

/**
 * `modules.re`: Python's `re` on JS RegExp, for the patterns dbt packages write. Translated:
 * inline flags at the start (`(?i)(?s)`, `(?ix)`), verbose mode (whitespace and `#` comments
 * dropped outside classes), `(?P<name>…)` / `(?P=name)`, `\A` / `\Z`, the flag constants, and
 * replacements (`\g<1>`, `\g<name>`, `\1`; an unmatched group is ''). findall returns the whole
 * match, the one group, or a tuple of groups, as Python. Checked against python3's `re` in
 * test/unit/python-re.test.ts.
 */

const FLAG_BITS: Record<string, number> = { i: 2, m: 8, s: 16, x: 64 };
export const RE_FLAGS = {
  I: 2,
  IGNORECASE: 2,
  M: 8,
  MULTILINE: 8,
  S: 16,
  DOTALL: 16,
  X: 64,
  VERBOSE: 64,
  A: 256,
  ASCII: 256,
  U: 32,
  UNICODE: 32,
};

/** Drops whitespace and `#` comments outside character classes (re.VERBOSE). */
function stripVerbose(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

export function pyRegExp(pattern: unknown, flags: unknown = 0, global = false): RegExp {
  let source = String(pattern);
  let bits = Number(flags) || 0;
  for (let m = /^\(\?([aiLmsux]+)\)/.exec(source); m; m = /^\(\?([aiLmsux]+)\)/.exec(source)) {
    for (const letter of m[1]!) bits |= FLAG_BITS[letter] ?? 0;
    source = source.slice(m[0].length);
  }
  if (bits & FLAG_BITS.x!) source = stripVerbose(source);
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '(?<![\\s\\S])')
    .replace(/\\Z/g, '(?![\\s\\S])');
  let jsFlags = global ? 'g' : '';
  if (bits & FLAG_BITS.i!) jsFlags += 'i';
  if (bits & FLAG_BITS.m!) jsFlags += 'm';
  if (bits & FLAG_BITS.s!) jsFlags += 's';
  return new RegExp(source, jsFlags);
}

/** A match object: group(), groups(), start(), end(), span(); `m[0]` as Python's `m[0]`. */
function matchObject(match: RegExpExecArray): unknown[] {
  const groups = (...which: unknown[]) => {
    const pick = (key: unknown) =>
      (typeof key === 'string' ? match.groups?.[key] : match[Number(key)]) ?? null;
    return which.length <= 1 ? pick(which[0] ?? 0) : tuple(which.map(pick));
  };
  const result = [...match].map((value) => value ?? null);
  const start = match.index;
  const end = match.index + match[0].length;
  Object.assign(result, {
    group: groups,
    groups: () => tuple(result.slice(1)),
    groupdict: () => ({ ...match.groups }),
    start: () => start,
    end: () => end,
    span: () => tuple([start, end]),
  });
  return result;
}

/** Python's replacement template: `\g<1>`, `\g<name>`, `\1`, `\n`, `\\`. */
function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(
    /\\(?:g<(\w+)>|(\d{1,2})|(.))/gs,
    (_, named: string, digits: string, other: string) => {
      if (named !== undefined)
        return (/^\d+$/.test(named) ? match[Number(named)] : match.groups?.[named]) ?? '';
      if (digits !== undefined) return match[Number(digits)] ?? '';
      return ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[other] ?? `\\${other}`;
    },
  );
}

function sub(pattern: unknown, repl: unknown, text: unknown, count: unknown = 0, flags: unknown = 0): string {
  const regex = pyRegExp(pattern, flags, true);
  const limit = Number(count) || Number.POSITIVE_INFINITY;
  let done = 0;
  return String(text).replace(regex, (...args: unknown[]) => {
    const whole = args[0] as string;
    if (done >= limit) return whole;
    done++;
    const hasNamed = typeof args.at(-1) === 'object';
    const index = args.at(hasNamed ? -3 : -2) as number;
    const match = Object.assign(args.slice(0, hasNamed ? -3 : -2) as unknown as RegExpExecArray, {
      index,
      groups: hasNamed ? (args.at(-1) as Record<string, string>) : undefined,
    });
    return typeof repl === 'function'
      ? String(repl(matchObject(match)))
      : expandTemplate(String(repl), match);
  });
}

type Fn = (...args: unknown[]) => unknown;

/** Binds keyword arguments (`count=1`, `flags=re.I`) to their Python positions. */
function withKeywords(names: readonly string[], fn: Fn): Fn {
  return (...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const bound = [...positional];
    names.forEach((name, index) => {
      if (Object.hasOwn(kwargs, name)) bound[index] = kwargs[name];
    });
    return fn(...bound);
  };
}

export function pythonRe() {
  const functions: Record<string, Fn> = {
    match: (pattern: unknown, text: unknown, flags?: unknown) => {
      const regex = pyRegExp(pattern, flags);
      const match = new RegExp(regex.source, `${regex.flags}y`).exec(String(text));
      return match ? matchObject(match) : null;
    },
    fullmatch: (pattern: unknown, text: unknown, flags?: unknown) => {
      const regex = pyRegExp(pattern, flags);
      const match = new RegExp(`^(?:${regex.source})$`, regex.flags.replace('m', '')).exec(String(text));
      return match ? matchObject(match) : null;
    },
    search: (pattern: unknown, text: unknown, flags?: unknown) => {
      const match = pyRegExp(pattern, flags).exec(String(text));
      return match ? matchObject(match) : null;
    },
    findall: (pattern: unknown, text: unknown, flags?: unknown) =>
      [...String(text).matchAll(pyRegExp(pattern, flags, true))].map((match) => {
        const groups = [...match].slice(1).map((value) => value ?? '');
        return groups.length === 0 ? match[0] : groups.length === 1 ? groups[0] : tuple(groups);
      }),
    sub,
    split: (pattern: unknown, text: unknown, maxsplit: unknown = 0, flags?: unknown) => {
      const out: string[] = [];
      const source = String(text);
      let last = 0;
      let splits = 0;
      for (const match of source.matchAll(pyRegExp(pattern, flags, true))) {
        if (Number(maxsplit) && splits >= Number(maxsplit)) break;
        out.push(source.slice(last, match.index), ...[...match].slice(1).map((g) => g ?? null!));
        last = match.index + match[0].length;
        splits++;
      }
      out.push(source.slice(last));
      return out;
    },
    escape: (text: unknown) => String(text).replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`),
  };
  const params: Record<string, readonly string[]> = {
    match: ['pattern', 'string', 'flags'],
    fullmatch: ['pattern', 'string', 'flags'],
    search: ['pattern', 'string', 'flags'],
    findall: ['pattern', 'string', 'flags'],
    sub: ['pattern', 'repl', 'string', 'count', 'flags'],
    split: ['pattern', 'string', 'maxsplit', 'flags'],
    escape: ['pattern'],
  };
  return {
    ...RE_FLAGS,
    ...Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [name, withKeywords(params[name] ?? [], fn)]),
    ),
  };
}
