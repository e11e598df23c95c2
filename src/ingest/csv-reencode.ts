/**
 * How the scanner writes good records for ClickHouse. ClickHouse does not read every unquoted CSV field as written: `\N` is NULL (an empty string in
 * a String column on chDB, kept on 18.16), and the server trims leading and trailing spaces and
 * tabs. Quoted, both engines read such a field byte for byte, so the scanner re-encodes the (rare)
 * records holding one; every other field is copied unchanged.
 */

const QUOTE = 0x22;
const LF = 0x0a;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const BACKSLASH = 0x5c;
const UPPER_N = 0x4e;

/** Whether ClickHouse would misread the unquoted field `buf[start, end)`. */
export function needsQuoting(buf: Buffer, start: number, end: number): boolean {
  if (end === start) return false;
  const first = buf[start]!;
  const last = buf[end - 1]!;
  return (
    first === SPACE ||
    first === TAB ||
    last === SPACE ||
    last === TAB ||
    (end - start === 2 && first === BACKSLASH && last === UPPER_N)
  );
}

/**
 * Writes the record `buf[start, end)` (already checked: well-formed, without its line ending) to
 * `out` at `at`, quoting the unquoted fields ClickHouse would misread. Needs at most
 * `2 * (end - start) + 2 * fields` bytes; returns the bytes written.
 */
export function writeReencoded(out: Buffer, at: number, buf: Buffer, start: number, end: number): number {
  let o = at;
  let i = start;
  for (;;) {
    if (i < end && buf[i] === QUOTE) {
      // A quoted field is copied as is, through its closing quote ("" is an escaped quote).
      let j = i + 1;
      for (;;) {
        if (buf[j] === QUOTE) {
          if (j + 1 < end && buf[j + 1] === QUOTE) j += 2;
          else break;
        } else j++;
      }
      o += buf.copy(out, o, i, j + 1);
      i = j + 1;
    } else {
      let j = i;
      while (j < end && buf[j] !== COMMA) j++;
      if (needsQuoting(buf, i, j)) {
        out[o++] = QUOTE;
        for (let k = i; k < j; k++) {
          const byte = buf[k]!;
          if (byte === QUOTE) out[o++] = QUOTE;
          out[o++] = byte;
        }
        out[o++] = QUOTE;
      } else o += buf.copy(out, o, i, j);
      i = j;
    }
    if (i >= end) return o - at;
    out[o++] = COMMA;
    i++;
  }
}

/** Writes a positive integer's decimal digits at `at`; returns the number of bytes written. */
function writeDigits(out: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return digits;
}

/** Good records as `<line>,<record>\n`, in a few large buffers: no allocation per record. */
export class RecordOutput {
  private readonly chunks: Buffer[] = [];
  private readonly refill: number;
  private out: Buffer;
  private pos = 0;

  /** Sized for a scanned input of `inputLength` bytes (prefixes add a little). */
  constructor(inputLength: number) {
    this.out = Buffer.allocUnsafe(Math.ceil(inputLength * 1.25) + 1024);
    this.refill = Math.ceil(inputLength * 0.25) + 1024;
  }

  add(line: number, input: Buffer, start: number, end: number, requote: boolean): void {
    const need = 2 * (end - start) + 22;
    if (this.pos + need > this.out.length) {
      this.chunks.push(this.out.subarray(0, this.pos));
      this.out = Buffer.allocUnsafe(Math.max(need, this.refill));
      this.pos = 0;
    }
    const out = this.out;
    let pos = this.pos;
    pos += writeDigits(out, pos, line);
    out[pos++] = COMMA;
    pos += requote ? writeReencoded(out, pos, input, start, end) : input.copy(out, pos, start, end);
    out[pos++] = LF;
    this.pos = pos;
  }

  finish(): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.out.subarray(0, this.pos));
    return this.chunks;
  }
}
