import nunjucks from 'nunjucks';

/**
 * dbt projects call Python methods on strings, lists and dicts (`x.upper()`, `cols.extend(…)`,
 * `d.items()`). nunjucks' Jinja compatibility layer covers dicts and most list methods; this adds
 * the string methods and the list methods it lacks. Installed once per process.
 */

type Member = (this: never, ...args: never[]) => unknown;

const STRING_MEMBERS: Record<string, (self: string, ...args: never[]) => unknown> = {
  upper: (self) => self.toUpperCase(),
  lower: (self) => self.toLowerCase(),
  strip: (self, chars?: string) => (chars ? trimChars(self, chars, true, true) : self.trim()),
  lstrip: (self, chars?: string) => (chars ? trimChars(self, chars, true, false) : self.trimStart()),
  rstrip: (self, chars?: string) => (chars ? trimChars(self, chars, false, true) : self.trimEnd()),
  startswith: (self, prefix: string) => self.startsWith(prefix),
  endswith: (self, suffix: string) => self.endsWith(suffix),
  split: (self, separator?: string, limit?: number) => pySplit(self, separator, limit),
  replace: (self, from: string, to: string) => self.split(from).join(to),
  join: (self, items: unknown[]) => [...items].map(String).join(self),
  find: (self, needle: string) => self.indexOf(needle),
  count: (self, needle: string) => self.split(needle).length - 1,
  title: (self) => self.replace(/\w\S*/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()),
  capitalize: (self) => self.charAt(0).toUpperCase() + self.slice(1).toLowerCase(),
  isdigit: (self) => /^\d+$/.test(self),
  format: (self, ...args: unknown[]) => {
    let index = 0;
    return self.replace(/\{(\d*)\}/g, (_, position: string) =>
      String(args[position === '' ? index++ : Number(position)]),
    );
  },
};

const LIST_MEMBERS: Record<string, (self: unknown[], ...args: never[]) => unknown> = {
  extend: (self, items: unknown[]) => {
    self.push(...items);
    return '';
  },
  copy: (self) => [...self],
  sort: (self) => {
    self.sort();
    return '';
  },
  reverse: (self) => {
    self.reverse();
    return '';
  },
};

function trimChars(text: string, chars: string, start: boolean, end: boolean): string {
  let from = 0;
  let to = text.length;
  while (start && from < to && chars.includes(text[from]!)) from++;
  while (end && to > from && chars.includes(text[to - 1]!)) to--;
  return text.slice(from, to);
}

function pySplit(text: string, separator?: string, limit?: number): string[] {
  if (separator === undefined || separator === null) return text.trim().split(/\s+/).filter(Boolean);
  const parts = text.split(separator);
  if (limit === undefined || limit < 0 || parts.length <= limit + 1) return parts;
  return [...parts.slice(0, limit), parts.slice(limit).join(separator)];
}

let installed = false;

export function installPythonCompat(): void {
  if (installed) return;
  installed = true;
  nunjucks.installJinjaCompat();
  const runtime = nunjucks.runtime as unknown as {
    memberLookup: (obj: unknown, value: unknown, ...rest: unknown[]) => unknown;
  };
  const jinjaLookup = runtime.memberLookup;
  runtime.memberLookup = function memberLookup(obj: unknown, value: unknown, ...rest: unknown[]) {
    if (typeof obj === 'string' && typeof value === 'string' && value in STRING_MEMBERS) {
      const method = STRING_MEMBERS[value]!;
      return (...args: never[]) => method(obj, ...args);
    }
    if (Array.isArray(obj) && typeof value === 'string' && value in LIST_MEMBERS) {
      const method = LIST_MEMBERS[value]!;
      return (...args: never[]) => method(obj, ...args);
    }
    return jinjaLookup.call(this, obj, value, ...rest) as Member;
  };
}
