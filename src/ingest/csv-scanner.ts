import { isUtf8 } from 'node:buffer';

/**
 * Splits CSV bytes into records and checks each one's shape — field count, quoting, UTF-8 —
 * without building any values: ClickHouse parses the good bytes. Each good record is re-emitted
 * with its physical line number prepended as an extra first field, so every landed row keeps the
 * line it came from; each bad record becomes a Reject. Header handling is the caller's.
 */

export interface Reject {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

export interface ScanOutput {
  /** Good records as `<line>,<original bytes>\n`, ready for a ClickHouse CSV insert. */
  readonly chunks: Buffer[];
  readonly goodRecords: number;
  readonly rejects: Reject[];
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const RAW_TEXT_LIMIT = 4096;
/** A quoted field may span lines, but a record longer than this is an unterminated quote. */
const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

type RecordCheck =
  | { ok: true; end: number; next: number; lines: number }
  | { ok: false; reason: string; end: number; next: number; lines: number }
  | { incomplete: true };

export class CsvRecordScanner {
  private readonly expectedFields: number;
  private readonly maxRecordBytes: number;
  private carry: Buffer = Buffer.alloc(0);
  private nextLine: number;

  /** `firstLine` is the physical line number of the first byte pushed (2 after a header line). */
  constructor(expectedFields: number, firstLine: number, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {
    this.expectedFields = expectedFields;
    this.nextLine = firstLine;
    this.maxRecordBytes = maxRecordBytes;
  }

  push(chunk: Buffer): ScanOutput {
    const input = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    return this.scan(input, false);
  }

  end(): ScanOutput {
    const input = this.carry;
    this.carry = Buffer.alloc(0);
    return this.scan(input, true);
  }

  private scan(input: Buffer, final: boolean): ScanOutput {
    const rejects: Reject[] = [];
    const chunks: Buffer[] = [];
    // Most chunks are valid UTF-8 as a whole; only a failing chunk is checked record by record.
    const checkUtf8 = !isUtf8(input);
    let out = Buffer.allocUnsafe(Math.ceil(input.length * 1.25) + 1024);
    let outPos = 0;
    let goodRecords = 0;
    let pos = 0;
    while (pos < input.length) {
      const check = this.checkRecord(input, pos, final);
      if ('incomplete' in check) break;
      const line = this.nextLine;
      this.nextLine += check.lines;
      let reason = check.ok ? undefined : check.reason;
      if (!reason && checkUtf8 && !isUtf8(input.subarray(pos, check.end))) reason = 'invalid UTF-8';
      if (reason) {
        rejects.push({
          line,
          reason,
          raw: input.toString('utf8', pos, Math.min(check.end, pos + RAW_TEXT_LIMIT)),
        });
      } else {
        const need = check.end - pos + 22;
        if (outPos + need > out.length) {
          chunks.push(out.subarray(0, outPos));
          out = Buffer.allocUnsafe(Math.max(need, Math.ceil(input.length * 0.25) + 1024));
          outPos = 0;
        }
        outPos += out.write(String(line), outPos, 'latin1');
        out[outPos++] = COMMA;
        outPos += input.copy(out, outPos, pos, check.end);
        out[outPos++] = LF;
        goodRecords++;
      }
      pos = check.next;
    }
    if (outPos > 0) chunks.push(out.subarray(0, outPos));
    this.carry = pos < input.length ? Buffer.from(input.subarray(pos)) : Buffer.alloc(0);
    return { chunks, goodRecords, rejects };
  }

  /**
   * Reads one record starting at `start`. `end` excludes the line terminator; `next` is where the
   * following record starts; `lines` counts the physical lines the record spans.
   */
  private checkRecord(buf: Buffer, start: number, final: boolean): RecordCheck {
    const length = buf.length;
    let fields = 1;
    let lines = 1;
    let i = start;
    let fieldStart = true;
    let broken: string | undefined;
    while (i < length) {
      const byte = buf[i]!;
      if (fieldStart && byte === QUOTE) {
        // Quoted field: runs to the next lone quote; "" is an escaped quote.
        i++;
        for (;;) {
          if (i >= length) {
            if (!final && i - start <= this.maxRecordBytes) return { incomplete: true };
            return this.unterminated(buf, start);
          }
          const b = buf[i]!;
          if (b === QUOTE) {
            if (i + 1 < length && buf[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            if (i + 1 >= length && !final) return { incomplete: true };
            i++;
            break;
          }
          if (b === LF) {
            lines++;
            if (i - start > this.maxRecordBytes) return this.unterminated(buf, start);
          }
          i++;
        }
        const after = i < length ? buf[i]! : LF;
        if (after !== COMMA && after !== LF && after !== CR && broken === undefined) {
          broken = `broken quoting: text after the closing quote of field ${fields}`;
        }
        fieldStart = false;
        continue;
      }
      fieldStart = false;
      if (byte === COMMA) {
        fields++;
        fieldStart = true;
      } else if (byte === LF) {
        const end = i > start && buf[i - 1] === CR ? i - 1 : i;
        return this.finish(start, end, i + 1, lines, fields, broken);
      }
      i++;
    }
    if (!final) return { incomplete: true };
    const end = i > start && buf[i - 1] === CR ? i - 1 : i;
    return this.finish(start, end, i, lines, fields, broken);
  }

  private finish(
    start: number,
    end: number,
    next: number,
    lines: number,
    fields: number,
    broken: string | undefined,
  ): RecordCheck {
    if (broken) return { ok: false, reason: broken, end, next, lines };
    if (end === start) return { ok: false, reason: 'empty line', end, next, lines };
    if (fields !== this.expectedFields)
      return {
        ok: false,
        reason: `expected ${this.expectedFields} fields, found ${fields}`,
        end,
        next,
        lines,
      };
    return { ok: true, end, next, lines };
  }

  /** An opening quote that never closes: reject its first line only, and resume on the next line. */
  private unterminated(buf: Buffer, start: number): RecordCheck {
    const newline = buf.indexOf(LF, start);
    const next = newline < 0 ? buf.length : newline + 1;
    const end = newline < 0 ? buf.length : newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
    return { ok: false, reason: 'broken quoting: unterminated quoted field', end, next, lines: 1 };
  }
}

/** Splits a header line into names (handles quoted names; the header is small, so plain JS is fine). */
export function parseHeader(line: string): string[] {
  const names: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      names.push(current);
      current = '';
    } else current += char;
  }
  names.push(current);
  return names.map((name) => name.replace(/^\uFEFF/, '').trim());
}
