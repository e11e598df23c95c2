import { isUtf8 } from 'node:buffer';
import { parseCsv } from '../csv-text.ts';

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

/** What checkRecord found; the record's bounds are left in the scanner's fields (no object per record). */
const INCOMPLETE = 0;
const GOOD = 1;
const BAD = 2;
type RecordStatus = typeof INCOMPLETE | typeof GOOD | typeof BAD;

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

export class CsvRecordScanner {
  private readonly expectedFields: number;
  private readonly maxRecordBytes: number;
  private carry: Buffer = Buffer.alloc(0);
  private nextLine: number;
  // The last record checked: where it ends (without the line terminator), where the next starts,
  // how many physical lines it spans, and why it is bad.
  private recordEnd = 0;
  private recordNext = 0;
  private recordLines = 1;
  private recordReason = '';

  private readonly emit: boolean;
  private readonly firstLine: number;

  /**
   * `firstLine` is the physical line number of the first byte pushed (2 after a header line).
   * With `emit` false the scanner only checks (no output chunks): a validation pass.
   */
  constructor(
    expectedFields: number,
    firstLine: number,
    options: { maxRecordBytes?: number; emit?: boolean } = {},
  ) {
    this.expectedFields = expectedFields;
    this.nextLine = firstLine;
    this.firstLine = firstLine;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.emit = options.emit ?? true;
  }

  /** Physical lines consumed so far (a record with quoted newlines spans several). */
  get linesScanned(): number {
    return this.nextLine - this.firstLine;
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
    let out = this.emit ? Buffer.allocUnsafe(Math.ceil(input.length * 1.25) + 1024) : Buffer.alloc(0);
    let outPos = 0;
    let goodRecords = 0;
    let pos = 0;
    while (pos < input.length) {
      const status = this.checkRecord(input, pos, final);
      if (status === INCOMPLETE) break;
      const line = this.nextLine;
      const end = this.recordEnd;
      this.nextLine += this.recordLines;
      let reason = status === BAD ? this.recordReason : undefined;
      if (!reason && checkUtf8 && !isUtf8(input.subarray(pos, end))) reason = 'invalid UTF-8';
      if (reason) {
        rejects.push({ line, reason, raw: input.toString('utf8', pos, Math.min(end, pos + RAW_TEXT_LIMIT)) });
      } else if (!this.emit) goodRecords++;
      else {
        const need = end - pos + 22;
        if (outPos + need > out.length) {
          chunks.push(out.subarray(0, outPos));
          out = Buffer.allocUnsafe(Math.max(need, Math.ceil(input.length * 0.25) + 1024));
          outPos = 0;
        }
        outPos += writeDigits(out, outPos, line);
        out[outPos++] = COMMA;
        outPos += input.copy(out, outPos, pos, end);
        out[outPos++] = LF;
        goodRecords++;
      }
      pos = this.recordNext;
    }
    if (outPos > 0) chunks.push(out.subarray(0, outPos));
    this.carry = pos < input.length ? Buffer.from(input.subarray(pos)) : Buffer.alloc(0);
    return { chunks, goodRecords, rejects };
  }

  /**
   * Reads one record starting at `start`: sets recordEnd (excluding the line terminator),
   * recordNext (where the following record starts), recordLines (physical lines spanned) and, for
   * a bad record, recordReason. The hot loop of ingest: no allocation per record.
   */
  private checkRecord(buf: Buffer, start: number, final: boolean): RecordStatus {
    const length = buf.length;
    let fields = 1;
    let lines = 1;
    let i = start;
    let broken = false;
    let brokenField = 0;
    while (i < length) {
      let byte = buf[i]!;
      if (byte === QUOTE) {
        // Quoted field: runs to the next lone quote; "" is an escaped quote.
        i++;
        for (;;) {
          if (i >= length) {
            if (!final && i - start <= this.maxRecordBytes) return INCOMPLETE;
            return this.unterminated(buf, start);
          }
          const b = buf[i]!;
          if (b === QUOTE) {
            if (i + 1 < length && buf[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            if (i + 1 >= length && !final) return INCOMPLETE;
            i++;
            break;
          }
          if (b === LF) {
            lines++;
            if (i - start > this.maxRecordBytes) return this.unterminated(buf, start);
          }
          i++;
        }
        byte = i < length ? buf[i]! : LF;
        if (byte !== COMMA && byte !== LF && byte !== CR && !broken) {
          broken = true;
          brokenField = fields;
        }
        if (i >= length) break;
      }
      // Unquoted bytes up to the end of the field.
      while (byte !== COMMA && byte !== LF) {
        if (++i >= length) break;
        byte = buf[i]!;
      }
      if (i >= length) break;
      if (byte === LF) {
        const end = i > start && buf[i - 1] === CR ? i - 1 : i;
        return this.finish(start, end, i + 1, lines, fields, broken, brokenField);
      }
      fields++;
      i++;
    }
    if (!final) return INCOMPLETE;
    const end = i > start && buf[i - 1] === CR ? i - 1 : i;
    return this.finish(start, end, i, lines, fields, broken, brokenField);
  }

  private finish(
    start: number,
    end: number,
    next: number,
    lines: number,
    fields: number,
    broken: boolean,
    brokenField: number,
  ): RecordStatus {
    this.recordEnd = end;
    this.recordNext = next;
    this.recordLines = lines;
    if (broken) this.recordReason = `broken quoting: text after the closing quote of field ${brokenField}`;
    else if (end === start) this.recordReason = 'empty line';
    else if (fields !== this.expectedFields)
      this.recordReason = `expected ${this.expectedFields} fields, found ${fields}`;
    else return GOOD;
    return BAD;
  }

  /** An opening quote that never closes: reject its first line only, and resume on the next line. */
  private unterminated(buf: Buffer, start: number): RecordStatus {
    const newline = buf.indexOf(LF, start);
    this.recordNext = newline < 0 ? buf.length : newline + 1;
    this.recordEnd =
      newline < 0 ? buf.length : newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
    this.recordLines = 1;
    this.recordReason = 'broken quoting: unterminated quoted field';
    return BAD;
  }
}

/** Splits a header line into names (without a byte-order mark or surrounding spaces). */
export function parseHeader(line: string): string[] {
  return (parseCsv(line)[0] ?? ['']).map((name) => name.replace(/^\uFEFF/, '').trim());
}
