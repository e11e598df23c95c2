/**
 * dbt's package versions: `major.minor.patch[-prerelease]`, and ranges written as one spec or a
 * list of specs (`">=1.0.0"`, `"<2.0.0"`, `"1.2.3"`, `"=1.2.3"`), all of which must hold. Ranges
 * from several requirers are intersected; an empty intersection is a conflict.
 */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: string;
}

interface Bound {
  readonly version: Version;
  readonly inclusive: boolean;
}

export interface Range {
  readonly lower?: Bound;
  readonly upper?: Bound;
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const SPEC = /^(>=|<=|>|<|==|=)?\s*(.+)$/;

export function parseVersion(text: string): Version | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ?? '',
  };
}

export function formatVersion(version: Version): string {
  const core = `${version.major}.${version.minor}.${version.patch}`;
  return version.prerelease ? `${core}-${version.prerelease}` : core;
}

function comparePrerelease(a: string, b: string): number {
  // A release sorts after its prereleases; prerelease parts compare numerically when both are numbers.
  if (a === b) return 0;
  if (!a) return 1;
  if (!b) return -1;
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** One spec as a range, or undefined when it is not a version spec. */
export function parseSpec(text: string): Range | undefined {
  const match = SPEC.exec(String(text).trim());
  if (!match) return undefined;
  const version = parseVersion(match[2]!);
  if (!version) return undefined;
  switch (match[1]) {
    case '>=':
      return { lower: { version, inclusive: true } };
    case '>':
      return { lower: { version, inclusive: false } };
    case '<=':
      return { upper: { version, inclusive: true } };
    case '<':
      return { upper: { version, inclusive: false } };
    default:
      return { lower: { version, inclusive: true }, upper: { version, inclusive: true } };
  }
}

function tighterLower(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = compareVersions(a.version, b.version);
  if (order !== 0) return order > 0 ? a : b;
  return a.inclusive ? b : a;
}

function tighterUpper(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = compareVersions(a.version, b.version);
  if (order !== 0) return order < 0 ? a : b;
  return a.inclusive ? b : a;
}

export function intersect(a: Range, b: Range): Range {
  const lower = tighterLower(a.lower, b.lower);
  const upper = tighterUpper(a.upper, b.upper);
  return { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
}

export function isEmpty(range: Range): boolean {
  if (!range.lower || !range.upper) return false;
  const order = compareVersions(range.lower.version, range.upper.version);
  return order > 0 || (order === 0 && !(range.lower.inclusive && range.upper.inclusive));
}

export function satisfies(version: Version, range: Range): boolean {
  if (range.lower) {
    const order = compareVersions(version, range.lower.version);
    if (order < 0 || (order === 0 && !range.lower.inclusive)) return false;
  }
  if (range.upper) {
    const order = compareVersions(version, range.upper.version);
    if (order > 0 || (order === 0 && !range.upper.inclusive)) return false;
  }
  return true;
}

/** The range as dbt writes it: `>=1.0.0, <2.0.0`, or the pinned version. */
export function formatRange(range: Range): string {
  const { lower, upper } = range;
  if (
    lower &&
    upper &&
    lower.inclusive &&
    upper.inclusive &&
    compareVersions(lower.version, upper.version) === 0
  )
    return formatVersion(lower.version);
  const parts = [
    ...(lower ? [`${lower.inclusive ? '>=' : '>'}${formatVersion(lower.version)}`] : []),
    ...(upper ? [`${upper.inclusive ? '<=' : '<'}${formatVersion(upper.version)}`] : []),
  ];
  return parts.length ? parts.join(', ') : 'any version';
}

/**
 * The newest listed version inside the range. Prereleases only when asked for, or when the range
 * pins a prerelease exactly (as dbt).
 */
export function newestSatisfying(
  available: readonly string[],
  range: Range,
  allowPrerelease: boolean,
): string | undefined {
  const pinnedPrerelease =
    range.lower?.version.prerelease !== '' && range.lower !== undefined && range.upper !== undefined;
  let best: { text: string; version: Version } | undefined;
  for (const text of available) {
    const version = parseVersion(text);
    if (!version || !satisfies(version, range)) continue;
    if (version.prerelease && !allowPrerelease && !pinnedPrerelease) continue;
    if (!best || compareVersions(version, best.version) > 0) best = { text, version };
  }
  return best?.text;
}
