import { splitArgs } from '../jinja/environment.ts';
import { makeFloat, NOT_IMPLEMENTED, PY_OPS, PyError, toNumber, typeError } from '../jinja/py/values.ts';
import { dayNumber, strftime } from './py-datetime-format.ts';

/**
 * Python's `datetime` module as dbt projects use it through `modules.datetime`: date, datetime
 * (naive, or UTC-aware as dbt's run_started_at) and timedelta, with their arithmetic, comparisons,
 * str()/isoformat()/strftime(). Values are whole microseconds (exact within ±285 years of 1970).
 */

const US_PER_DAY = 86_400_000_000;
const pad = (value: number, width = 2) => String(value).padStart(width, '0');
const floorDiv = (a: number, b: number) => Math.floor(a / b);

function kwargsOf(args: readonly unknown[], names: readonly string[]): Record<string, unknown> {
  const { positional, kwargs } = splitArgs(args);
  const out: Record<string, unknown> = { ...kwargs };
  positional.forEach((value, i) => {
    out[names[i] ?? `_${i}`] = value;
  });
  return out;
}

export class PyTimedelta {
  constructor(readonly us: number) {}
  get days(): number {
    return floorDiv(this.us, US_PER_DAY);
  }
  get seconds(): number {
    return floorDiv(this.us - this.days * US_PER_DAY, 1_000_000);
  }
  get microseconds(): number {
    return this.us - this.days * US_PER_DAY - this.seconds * 1_000_000;
  }
  total_seconds(): unknown {
    return makeFloat(this.us / 1_000_000);
  }
  toString(): string {
    const { days, seconds, microseconds } = this;
    const clock = `${floorDiv(seconds, 3600)}:${pad(floorDiv(seconds, 60) % 60)}:${pad(seconds % 60)}`;
    const fraction = microseconds ? `.${pad(microseconds, 6)}` : '';
    const dayPart = days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ` : '';
    return `${dayPart}${clock}${fraction}`;
  }
  [PY_OPS](op: string, other: unknown, reflected: boolean): unknown {
    if (other instanceof PyTimedelta) {
      if (op === '+') return new PyTimedelta(this.us + other.us);
      if (op === '-') return new PyTimedelta(reflected ? other.us - this.us : this.us - other.us);
      if (op === '==') return this.us === other.us;
      if (op === 'cmp') return Math.sign(this.us - other.us);
    }
    if (op === '*' && typeof other === 'number' && Number.isInteger(other))
      return new PyTimedelta(this.us * other);
    return NOT_IMPLEMENTED;
  }
}

export function timedelta(...args: unknown[]): PyTimedelta {
  const k = kwargsOf(args, ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks']);
  const n = (name: string) => (k[name] === undefined ? 0 : toNumber(k[name]));
  const us =
    ((n('weeks') * 7 + n('days')) * 86_400 + n('hours') * 3600 + n('minutes') * 60 + n('seconds')) *
      1_000_000 +
    n('milliseconds') * 1000 +
    n('microseconds');
  return new PyTimedelta(Math.round(us));
}

/** A civil date from days since 1970-01-01. */
function civil(days: number): { year: number; month: number; day: number } {
  const date = new Date(days * 86_400_000);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function checkDate(year: number, month: number, day: number): void {
  if (!(year >= 1 && year <= 9999)) throw new PyError('ValueError', `year ${year} is out of range`);
  if (!(month >= 1 && month <= 12)) throw new PyError('ValueError', 'month must be in 1..12');
  const last = civil(dayNumber(year, month + 1, 1) - 1).day;
  if (!(day >= 1 && day <= last)) throw new PyError('ValueError', 'day is out of range for month');
}

export class PyDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  constructor(readonly days: number) {
    ({ year: this.year, month: this.month, day: this.day } = civil(days));
  }
  weekday(): number {
    return (((this.days + 3) % 7) + 7) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  isoformat(): string {
    return `${pad(this.year, 4)}-${pad(this.month)}-${pad(this.day)}`;
  }
  strftime(format: string): string {
    return strftime(this, format);
  }
  replace(...args: unknown[]): PyDate {
    const k = kwargsOf(args, ['year', 'month', 'day']);
    return date(k.year ?? this.year, k.month ?? this.month, k.day ?? this.day);
  }
  toString(): string {
    return this.isoformat();
  }
  [PY_OPS](op: string, other: unknown, reflected: boolean): unknown {
    if (other instanceof PyTimedelta && (op === '+' || (op === '-' && !reflected)))
      return new PyDate(this.days + (op === '+' ? other.days : -other.days));
    if (other instanceof PyDate && !(other instanceof PyDatetime)) {
      if (op === '-') return new PyTimedelta((reflected ? -1 : 1) * (this.days - other.days) * US_PER_DAY);
      if (op === '==') return this.days === other.days;
      if (op === 'cmp') return Math.sign(this.days - other.days);
    }
    return NOT_IMPLEMENTED;
  }
}

export function date(...args: unknown[]): PyDate {
  const k = kwargsOf(args, ['year', 'month', 'day']);
  const [year, month, day] = [k.year, k.month, k.day].map((v) => toNumber(v)) as [number, number, number];
  checkDate(year, month, day);
  return new PyDate(dayNumber(year, month, day));
}

export class PyDatetime extends PyDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  /** Microseconds since 1970-01-01 00:00 (UTC when `utc`). */
  constructor(
    readonly us: number,
    readonly utc = false,
  ) {
    super(floorDiv(us, US_PER_DAY));
    const inDay = us - this.days * US_PER_DAY;
    this.hour = floorDiv(inDay, 3_600_000_000);
    this.minute = floorDiv(inDay, 60_000_000) % 60;
    this.second = floorDiv(inDay, 1_000_000) % 60;
    this.microsecond = inDay % 1_000_000;
  }
  get tzinfo(): string | null {
    return this.utc ? 'UTC' : null;
  }
  override isoformat(sep: unknown = 'T'): string {
    const separator = typeof sep === 'string' ? sep : 'T';
    const fraction = this.microsecond ? `.${pad(this.microsecond, 6)}` : '';
    const clock = `${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}${fraction}`;
    return `${super.isoformat()}${separator}${clock}${this.utc ? '+00:00' : ''}`;
  }
  override toString(): string {
    return this.isoformat(' ');
  }
  date(): PyDate {
    return new PyDate(this.days);
  }
  timestamp(): unknown {
    return makeFloat(this.us / 1_000_000);
  }
  override replace(...args: unknown[]): PyDatetime {
    const k = kwargsOf(args, ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond']);
    const pick = (name: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'microsecond') =>
      toNumber(k[name] ?? this[name]);
    return datetimeOf(
      [pick('year'), pick('month'), pick('day'), pick('hour'), pick('minute'), pick('second')],
      pick('microsecond'),
      this.utc,
    );
  }
  override [PY_OPS](op: string, other: unknown, reflected: boolean): unknown {
    if (other instanceof PyTimedelta && (op === '+' || (op === '-' && !reflected)))
      return new PyDatetime(this.us + (op === '+' ? other.us : -other.us), this.utc);
    if (other instanceof PyDatetime) {
      if (this.utc !== other.utc && op !== '==')
        throw typeError("can't compare offset-naive and offset-aware datetimes");
      if (op === '-') return new PyTimedelta((reflected ? -1 : 1) * (this.us - other.us));
      if (op === '==') return this.utc === other.utc && this.us === other.us;
      if (op === 'cmp') return Math.sign(this.us - other.us);
    }
    return NOT_IMPLEMENTED;
  }
}

function datetimeOf(parts: number[], microsecond: number, utc: boolean): PyDatetime {
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts as [number, number, number];
  checkDate(year, month, day);
  if (hour > 23 || minute > 59 || second > 59 || microsecond > 999_999)
    throw new PyError('ValueError', 'hour, minute, second or microsecond out of range');
  const us = dayNumber(year, month, day) * US_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000;
  return new PyDatetime(us + microsecond, utc);
}

export function datetime(...args: unknown[]): PyDatetime {
  const names = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];
  const k = kwargsOf(args, names);
  const parts = names.map((name) => (k[name] === undefined ? 0 : toNumber(k[name])));
  return datetimeOf(parts.slice(0, 6), parts[6]!, false);
}

/** A JS Date as a datetime: UTC-aware (dbt's run_started_at) or naive. */
export function fromJsDate(value: Date, utc: boolean): PyDatetime {
  return new PyDatetime(value.getTime() * 1000, utc);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]00:?00)?$/;

function fromIso(text: unknown, kind: 'date' | 'datetime'): PyDate {
  const match = ISO.exec(String(text));
  if (!match || (kind === 'date' && match[4] !== undefined))
    throw new PyError('ValueError', `Invalid isoformat string: '${String(text)}'`);
  const [, y, mo, d, h, mi, s, f, zone] = match;
  const nums = [y, mo, d, h, mi, s].map((v) => Number(v ?? 0));
  if (kind === 'date') return date(nums[0], nums[1], nums[2]);
  return datetimeOf(nums, Number((f ?? '').padEnd(6, '0')), zone !== undefined);
}

const STRPTIME: Record<string, string> = {
  Y: '(\\d{4})',
  m: '(\\d{1,2})',
  d: '(\\d{1,2})',
  H: '(\\d{1,2})',
  M: '(\\d{1,2})',
  S: '(\\d{1,2})',
  f: '(\\d{1,6})',
  y: '(\\d{2})',
};

function strptime(text: unknown, format: unknown): PyDatetime {
  const codes: string[] = [];
  const pattern = String(format).replace(/%([a-zA-Z%])|([.*+?^${}()|[\]\\])/g, (_, code, special) => {
    if (special) return `\\${special}`;
    if (code === '%') return '%';
    if (!STRPTIME[code]) throw new PyError('ValueError', `'${code}' is not supported by dema's strptime`);
    codes.push(code);
    return STRPTIME[code]!;
  });
  const match = new RegExp(`^${pattern}$`).exec(String(text));
  if (!match)
    throw new PyError('ValueError', `time data '${String(text)}' does not match format '${String(format)}'`);
  const got: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  codes.forEach((code, i) => {
    const raw = match[i + 1]!;
    if (code === 'y') got.Y = Number(raw) + (Number(raw) < 69 ? 2000 : 1900);
    else got[code] = code === 'f' ? Number(raw.padEnd(6, '0')) : Number(raw);
  });
  return datetimeOf([got.Y!, got.m!, got.d!, got.H!, got.M!, got.S!], got.f!, false);
}

/** `modules.datetime`: the callables carry the class methods (`date.today()`, `datetime.now()`…). */
export function datetimeModule() {
  const now = () => fromJsDate(new Date(), false);
  return {
    date: Object.assign(date, {
      today: () => now().date(),
      fromisoformat: (text: unknown) => fromIso(text, 'date'),
    }),
    datetime: Object.assign(datetime, {
      now,
      today: now,
      utcnow: now,
      fromisoformat: (text: unknown) => fromIso(text, 'datetime'),
      strptime,
    }),
    timedelta,
  };
}
