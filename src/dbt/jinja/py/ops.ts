import {
  isDict,
  isFloat,
  isString,
  isTuple,
  Markup,
  makeFloat,
  makeInt,
  NOT_IMPLEMENTED,
  PyError,
  PyFloat,
  pyOperator,
  repr as reprOf,
  str as strOf,
  toNumber,
  tuple,
  typeError,
  typeName,
  Undefined,
} from './values.ts';

/** Python's arithmetic operators on template values (int exactness, float results, sequences). */

const isNumeric = (v: unknown) =>
  typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof PyFloat;

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(toNumber(v)));

function zeroDivision(message: string): PyError {
  return new PyError('ZeroDivisionError', message);
}

function floatOp(x: number, y: number, op: string): number | PyFloat {
  switch (op) {
    case '+':
      return makeFloat(x + y);
    case '-':
      return makeFloat(x - y);
    case '*':
      return makeFloat(x * y);
    case '/':
      if (y === 0) throw zeroDivision('float division by zero');
      return makeFloat(x / y);
    case '//':
      if (y === 0) throw zeroDivision('float floor division by zero');
      return makeFloat(Math.floor(x / y));
    case '%': {
      if (y === 0) throw zeroDivision('float modulo');
      const r = x % y;
      // Python's result takes the divisor's sign, a zero included (7 % -0.5 is -0.0).
      if (r === 0) return makeFloat(y < 0 ? -0 : 0);
      return makeFloat(r < 0 !== y < 0 ? r + y : r);
    }
    default:
      if (x === 0 && y < 0) throw zeroDivision('0.0 cannot be raised to a negative power');
      return makeFloat(x ** y);
  }
}

function bigFloorDiv(x: bigint, y: bigint): bigint {
  const q = x / y;
  return x % y !== 0n && x < 0n !== y < 0n ? q - 1n : q;
}

function intOp(a: unknown, b: unknown, op: string): unknown {
  if (op === '/') {
    if (toNumber(b) === 0) throw zeroDivision('division by zero');
    return makeFloat(toNumber(a) / toNumber(b));
  }
  if ((op === '//' || op === '%') && toNumber(b) === 0)
    throw zeroDivision('integer division or modulo by zero');
  if (op === '**' && toNumber(b) < 0) {
    if (toNumber(a) === 0) throw zeroDivision('0.0 cannot be raised to a negative power');
    return makeFloat(toNumber(a) ** toNumber(b));
  }
  if (typeof a !== 'bigint' && typeof b !== 'bigint') {
    const x = toNumber(a);
    const y = toNumber(b);
    let r: number;
    if (op === '+') r = x + y;
    else if (op === '-') r = x - y;
    else if (op === '*') r = x * y;
    else if (op === '//') r = Math.floor(x / y);
    else if (op === '%') r = ((x % y) + y) % y;
    else r = x ** y;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  const x = big(a);
  const y = big(b);
  if (op === '+') return makeInt(x + y);
  if (op === '-') return makeInt(x - y);
  if (op === '*') return makeInt(x * y);
  if (op === '//') return makeInt(bigFloorDiv(x, y));
  if (op === '%') return makeInt(x - bigFloorDiv(x, y) * y);
  return makeInt(x ** y);
}

function unsupported(op: string, a: unknown, b: unknown): PyError {
  return typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function repeat(sequence: unknown, times: unknown): unknown {
  const count = Math.max(0, toNumber(times));
  if (typeof sequence === 'string') return sequence.repeat(count);
  if (sequence instanceof Markup) return new Markup(sequence.value.repeat(count));
  const items = sequence as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(...items);
  return isTuple(items) ? tuple(out) : out;
}

export function binary(op: string, a: unknown, b: unknown): unknown {
  const hooked = pyOperator(op, a, b);
  if (hooked !== NOT_IMPLEMENTED) return hooked;
  if (isNumeric(a) && isNumeric(b)) {
    if (isFloat(a) || isFloat(b)) return floatOp(toNumber(a), toNumber(b), op);
    return intOp(a, b, op);
  }
  if (op === '+') {
    if (isString(a) && isString(b)) {
      if (a instanceof Markup) return new Markup(a.value + escapeHtml(b));
      if (b instanceof Markup) return new Markup(escapeHtml(a) + b.value);
      return a + b;
    }
    if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
      const joined = [...a, ...b];
      return isTuple(a) ? tuple(joined) : joined;
    }
    if (typeof a === 'string') throw typeError(`can only concatenate str (not "${typeName(b)}") to str`);
    if (Array.isArray(a) && !isTuple(a))
      throw typeError(`can only concatenate list (not "${typeName(b)}") to list`);
  }
  if (op === '*') {
    const sequence = (v: unknown) => isString(v) || Array.isArray(v);
    const integer = (v: unknown) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint';
    if (sequence(a) && integer(b) && !isFloat(b)) return repeat(a, b);
    if (sequence(b) && integer(a) && !isFloat(a)) return repeat(b, a);
  }
  if (op === '%' && isString(a)) return percentFormat(String(a), b);
  throw unsupported(op, a, b);
}

export function negate(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? -1 : 0;
  if (typeof value === 'bigint') return makeInt(-value);
  if (value instanceof PyFloat) return new PyFloat(-value.value);
  if (typeof value === 'number') return value === 0 ? (Number.isInteger(value) ? 0 : -value) : -value;
  throw typeError(`bad operand type for unary -: '${typeName(value)}'`);
}

export function escapeHtml(value: unknown): string {
  if (value instanceof Markup) return value.value;
  return strOf(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;')
    .replace(/"/g, '&#34;');
}

/**
 * Python's round(x, n) as text: correctly rounded from the float's exact decimal value, ties to
 * even (JS's toFixed is exact too, but breaks ties upward).
 */
function roundedText(x: number, digits: number): string {
  const size = Math.abs(x);
  const exact = size.toFixed(Math.min(100, digits + 40));
  const point = exact.indexOf('.');
  const rest = exact.slice(point + 1 + digits);
  let text = size.toFixed(digits);
  if (/^50*$/.test(rest)) {
    const kept = exact.slice(0, digits ? point + 1 + digits : point);
    if (Number(kept.at(-1)) % 2 === 0) text = kept;
  }
  return x < 0 || Object.is(x, -0) ? `-${text}` : text;
}

export function roundHalfEven(x: number, digits: number): number {
  if (!Number.isFinite(x) || digits < 0 || digits > 60) return x;
  return Number(roundedText(x, digits));
}

export function formatFixed(x: number, precision: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  return roundedText(x, precision);
}

export function formatExp(x: number, precision: number, upper = false): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const [mantissa, exponent] = x.toExponential(precision).split('e') as [string, string];
  const size = Math.abs(Number(exponent));
  const text = `${mantissa}e${exponent.startsWith('-') ? '-' : '+'}${size < 10 ? '0' : ''}${size}`;
  return upper ? text.toUpperCase() : text;
}

export function formatGeneral(x: number, precision: number, alternate = false): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return alternate ? `0.${'0'.repeat(p - 1)}` : '0';
  const exponent = Number(x.toExponential(p - 1).split('e')[1]);
  const strip = (text: string) =>
    alternate ? text : text.replace(/(\.\d*?)0+(?=$|e)/, '$1').replace(/\.(?=$|e)/, '');
  if (exponent >= -4 && exponent < p) return strip(formatFixed(x, p - 1 - exponent));
  return strip(formatExp(x, p - 1));
}

function toIntValue(value: unknown, conversion: string): number | bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat)
    return Math.trunc(toNumber(value));
  throw typeError(`%${conversion} format: a real number is required, not ${typeName(value)}`);
}

function toFloatValue(value: unknown): number {
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value instanceof PyFloat ||
    typeof value === 'bigint'
  )
    return toNumber(value);
  throw typeError(`must be real number, not ${typeName(value)}`);
}

function pad(text: string, width: number, left: boolean, zero: boolean): string {
  if (text.length >= width) return text;
  if (left) return text.padEnd(width);
  if (zero) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

const SPEC = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/** Python's printf-style `format % args`. */
export function percentFormat(format: string, args: unknown): string {
  const mapping = isDict(args) ? args : undefined;
  // Python treats any non-tuple with __getitem__ (a dict, a list) as a mapping: no count check.
  const lenient =
    mapping !== undefined || (Array.isArray(args) && !isTuple(args)) || args instanceof Undefined;
  const values = isTuple(args) ? [...(args as unknown[])] : [args];
  let index = 0;
  const next = () => {
    if (index >= values.length) throw typeError('not enough arguments for format string');
    return values[index++];
  };
  let usedMapping = false;
  const out = format.replace(SPEC, (_m, key: string | undefined, flags: string, w, p, conversion: string) => {
    if (conversion === '%') return '%';
    const width = w === '*' ? toNumber(next()) : w ? Number(w) : 0;
    const precision = p === '*' ? toNumber(next()) : p !== undefined ? Number(p) : undefined;
    let value: unknown;
    if (key !== undefined) {
      if (!mapping) throw typeError('format requires a mapping');
      usedMapping = true;
      value = mapping[key];
    } else value = next();
    let text = convert(value, conversion, flags, precision);
    if (flags.includes('+') && /^[diueEfFgG]$/.test(conversion) && !text.startsWith('-')) text = `+${text}`;
    else if (flags.includes(' ') && /^[diueEfFgG]$/.test(conversion) && !text.startsWith('-'))
      text = ` ${text}`;
    return pad(text, width, flags.includes('-'), flags.includes('0') && !/[srac]/.test(conversion));
  });
  if (!usedMapping && !lenient && index < values.length)
    throw typeError('not all arguments converted during string formatting');
  return out;
}

function convert(value: unknown, conversion: string, flags: string, precision: number | undefined): string {
  switch (conversion) {
    case 's': {
      const text = strOf(value);
      return precision === undefined ? text : text.slice(0, precision);
    }
    case 'r':
    case 'a':
      return reprOf(value);
    case 'c':
      return typeof value === 'string' ? value : String.fromCodePoint(toNumber(value));
    case 'd':
    case 'i':
    case 'u':
      return String(toIntValue(value, conversion));
    case 'x':
    case 'X':
    case 'o': {
      const int = toIntValue(value, conversion);
      const negative = int < 0;
      let digits = (negative ? -int : int).toString(conversion === 'o' ? 8 : 16);
      if (conversion === 'X') digits = digits.toUpperCase();
      const prefix = flags.includes('#') ? `0${conversion}` : '';
      return `${negative ? '-' : ''}${prefix}${digits}`;
    }
    case 'e':
    case 'E':
      return formatExp(toFloatValue(value), precision ?? 6, conversion === 'E');
    case 'f':
    case 'F':
      return formatFixed(toFloatValue(value), precision ?? 6);
    default: {
      const text = formatGeneral(toFloatValue(value), precision ?? 6, flags.includes('#'));
      return conversion === 'G' ? text.toUpperCase() : text;
    }
  }
}
