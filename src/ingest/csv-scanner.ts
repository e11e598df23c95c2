import { isUtf8 } from 'node:buffer';
import { parseCsv } from '../csv-text.ts';
import { needsQuoting, RecordOutput } from './csv-reencode.ts';

/**
 * Splits CSV bytes into records and checks each one's shape without building values: ClickHouse
 * parses the good bytes. The rule (RFC 4180 as Python's csv reads it with strict=True, bounded):
 * - a record starts on a new line and ends at a line feed (CRs right before it belong to the line
 *   ending) or at the end of the file; a quoted field may span lines, `""` is a quote inside it;
 * - a quoting error — text after a closing quote, a CR inside an unquoted field, a quote never
 *   closed — or a record longer than the limits (max_record_lines / max_record_bytes) rejects
 *   only the record's first line, and reading resumes on the next line: a stray quote costs one
 *   line, not the lines up to the next quote in the file;
 * - a well-quoted record with the wrong field count, invalid UTF-8 or nothing in it is rejected
 *   whole, with its line range.
 * So every physical line belongs to exactly one good or rejected record. Each good record is
 * re-emitted with its first line number prepended as an extra field (unquoted fields ClickHouse
 * would misread re-quoted, see csv-reencode.ts), so every landed row keeps the line it came from.
 */

export interface Reject {
  /** First and last physical line of the rejected record. */
  readonly line: number;
  readonly lastLine: number;
  /** Byte range of the record in the file (without its line ending). */
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
  /** The record's text: whole up to 64 KiB (and max_record_bytes), else its start — the byte range has it all. */
  readonly raw: string;
}

export interface ScanOutput {
  /** Good records as `<line>,<record bytes>\n`, ready for a ClickHouse CSV insert. */
  readonly chunks: Buffer[];
  readonly goodRecords: number;
  readonly rejects: Reject[];
}

export interface RecordLimits {
  readonly maxRecordLines: number;
  readonly maxRecordBytes: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = { maxRecordLines: 1000, maxRecordBytes: 1 << 20 };

/** Raw text kept in the rejects table per record; longer ones are found by their byte range. */
export const RAW_TEXT_LIMIT = 64 << 10;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** What checkRecord found; the record's bounds are left in the scanner's fields (no object per record). */
const INCOMPLETE = 0;
const GOOD = 1;
/** Rejected whole: well quoted, wrong shape. */
const BAD = 2;
/** Rejected as its first line only: quoting broken or record too long. */
const LINE_ERROR = 3;
type RecordStatus = typeof INCOMPLETE | typeof GOOD | typeof BAD | typeof LINE_ERROR;

/** End of a line's content: before the CRs that precede its line feed. */
function trimCr(buf: Buffer, start: number, end: number): number {
  let at = end;
  while (at > start && buf[at - 1] === CR) at--;
  return at;
}

/** The rest of an over-long first line, being skipped without keeping it. */
interface Skipping {
  readonly line: number;
  readonly offset: number;
  readonly reason: string;
  readonly raw: string;
  bytes: number;
  trailingCrs: number;
}

export class CsvRecordScanner {
  private readonly expectedFields: number;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly firstLine: number;
  private carry: Buffer = Buffer.alloc(0);
  /** File offset of the carry's first byte. */
  private carryOffset: number;
  private nextLine: number;
  private skipping: Skipping | undefined;
  // The last record checked: where its content ends, where the next record starts, how many
  // physical lines it spans, whether a field needs re-quoting, and why it is bad.
  private recordEnd = 0;
  private recordNext = 0;
  private recordLines = 1;
  private recordRequote = false;
  private recordReason = '';
  /** Position of the next CR at or after the field being read in the current buffer (cached search). */
  private nextCr = -1;

  /**
   * `firstLine` is the physical line number, `firstOffset` the file offset, of the first byte
   * pushed (after the header).
   */
  constructor(
    expectedFields: number,
    firstLine: number,
    options: Partial<RecordLimits> & { firstOffset?: number } = {},
  ) {
    this.expectedFields = expectedFields;
    this.nextLine = firstLine;
    this.firstLine = firstLine;
    this.maxLines = options.maxRecordLines ?? DEFAULT_RECORD_LIMITS.maxRecordLines;
    this.maxBytes = options.maxRecordBytes ?? DEFAULT_RECORD_LIMITS.maxRecordBytes;
    this.carryOffset = options.firstOffset ?? 0;
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
    const base = this.carryOffset;
    let pos = this.skipping ? this.skipRest(input, final, rejects) : 0;
    // Most chunks are valid UTF-8 as a whole; only a failing chunk is checked record by record.
    const checkUtf8 = !isUtf8(input);
    const output = new RecordOutput(input.length);
    let goodRecords = 0;
    this.nextCr = -1;
    while (pos < input.length) {
      let status = this.checkRecord(input, pos, final);
      if (status === INCOMPLETE) {
        if (input.length - pos <= this.maxBytes) break;
        status = this.lineError(`record longer than ${this.maxBytes} bytes (max_record_bytes)`);
      }
      if (status === LINE_ERROR) {
        const next = this.rejectFirstLine(input, pos, final, rejects);
        if (next === undefined) break;
        pos = next;
        continue;
      }
      const line = this.nextLine;
      const end = this.recordEnd;
      this.nextLine += this.recordLines;
      let reason = status === BAD ? this.recordReason : undefined;
      if (!reason && checkUtf8 && !isUtf8(input.subarray(pos, end))) reason = 'invalid UTF-8';
      if (reason) rejects.push(this.reject(input, base, pos, end, line, line + this.recordLines - 1, reason));
      else {
        goodRecords++;
        output.add(line, input, pos, end, this.recordRequote);
      }
      pos = this.recordNext;
    }
    const rest = Math.min(pos, input.length);
    this.carry = rest < input.length ? Buffer.from(input.subarray(rest)) : Buffer.alloc(0);
    this.carryOffset = base + rest;
    return { chunks: output.finish(), goodRecords, rejects };
  }

  /**
   * Rejects the first line of the record at `pos` and returns where the next record starts; or,
   * while that line has not ended, undefined (wait for more bytes — or, beyond max_record_bytes,
   * keep its start and skip the rest as it streams by).
   */
  private rejectFirstLine(input: Buffer, pos: number, final: boolean, rejects: Reject[]): number | undefined {
    const line = this.nextLine;
    const newline = input.indexOf(LF, pos);
    if (newline === -1 && !final) {
      if (input.length - pos <= this.maxBytes) return undefined;
      this.skipping = {
        line,
        offset: this.carryOffset + pos,
        reason: this.recordReason,
        raw: input.toString('utf8', pos, pos + Math.min(this.maxBytes, RAW_TEXT_LIMIT)),
        bytes: input.length - pos,
        trailingCrs: input.length - trimCr(input, pos, input.length),
      };
      return input.length;
    }
    const lineEnd = newline === -1 ? input.length : newline;
    const end = trimCr(input, pos, lineEnd);
    rejects.push(this.reject(input, this.carryOffset, pos, end, line, line, this.recordReason));
    this.nextLine++;
    return lineEnd + 1;
  }

  private reject(
    input: Buffer,
    base: number,
    start: number,
    end: number,
    line: number,
    lastLine: number,
    reason: string,
  ): Reject {
    const raw = input.toString('utf8', start, Math.min(end, start + Math.min(this.maxBytes, RAW_TEXT_LIMIT)));
    return { line, lastLine, offset: base + start, bytes: end - start, reason, raw };
  }

  /** Skips the rest of an over-long first line; returns where the next record starts. */
  private skipRest(input: Buffer, final: boolean, rejects: Reject[]): number {
    const skipping = this.skipping!;
    const newline = input.indexOf(LF);
    const lineEnd = newline === -1 ? input.length : newline;
    const content = trimCr(input, 0, lineEnd);
    skipping.bytes += lineEnd;
    skipping.trailingCrs = content === 0 ? skipping.trailingCrs + lineEnd : lineEnd - content;
    if (newline === -1 && !final) return input.length;
    const { line, offset, reason, raw } = skipping;
    const bytes = skipping.bytes - skipping.trailingCrs;
    rejects.push({ line, lastLine: line, offset, bytes, reason, raw });
    this.skipping = undefined;
    this.nextLine++;
    return lineEnd + 1;
  }

  private lineError(reason: string): RecordStatus {
    this.recordReason = reason;
    return LINE_ERROR;
  }

  /**
   * Reads one record starting at `start`: sets recordEnd, recordNext, recordLines, recordRequote
   * and, for a bad record, recordReason. The hot loop of ingest: no allocation per record.
   */
  private checkRecord(buf: Buffer, start: number, final: boolean): RecordStatus {
    const length = buf.length;
    const limit = start + this.maxBytes;
    let fields = 1;
    let lines = 1;
    let requote = false;
    let i = start;
    for (;;) {
      if (i >= length) {
        if (!final) return INCOMPLETE;
        return this.finish(start, i, i, lines, fields, requote);
      }
      let byte = buf[i]!;
      if (byte === QUOTE) {
        i++;
        for (;;) {
          if (i >= length)
            return final ? this.lineError('broken quoting: unterminated quoted field') : INCOMPLETE;
          if (i > limit)
            return this.lineError(`record longer than ${this.maxBytes} bytes (max_record_bytes)`);
          const b = buf[i]!;
          if (b === QUOTE) {
            if (i + 1 >= length && !final) return INCOMPLETE;
            if (buf[i + 1] !== QUOTE) break;
            i += 2;
            continue;
          }
          if (b === LF && ++lines > this.maxLines)
            return this.lineError(`record spans more than ${this.maxLines} lines (max_record_lines)`);
          i++;
        }
        i++;
        // After the closing quote: a comma, or the line ending.
        if (i >= length) {
          if (!final) return INCOMPLETE;
          return this.finish(start, i, i, lines, fields, requote);
        }
        byte = buf[i]!;
        if (byte === COMMA) {
          fields++;
          i++;
          continue;
        }
        let j = i;
        while (j < length && buf[j] === CR) j++;
        if (j >= length && !final) return INCOMPLETE;
        if (j >= length || buf[j] === LF) return this.finish(start, i, j, lines, fields, requote);
        return this.lineError(
          byte === CR
            ? `broken quoting: carriage return after the closing quote of field ${fields}`
            : `broken quoting: text after the closing quote of field ${fields}`,
        );
      }
      // Unquoted bytes up to the end of the field.
      const fieldStart = i;
      while (byte !== COMMA && byte !== LF) {
        if (++i >= length) break;
        byte = buf[i]!;
      }
      if (i >= length && !final) return INCOMPLETE;
      const lastField = i >= length || byte === LF;
      const fieldEnd = lastField ? trimCr(buf, fieldStart, i) : i;
      if (this.nextCr < fieldStart) {
        const at = buf.indexOf(CR, fieldStart);
        this.nextCr = at === -1 ? Number.POSITIVE_INFINITY : at;
      }
      if (this.nextCr < fieldEnd)
        return this.lineError(`broken quoting: carriage return inside unquoted field ${fields}`);
      if (!requote && needsQuoting(buf, fieldStart, fieldEnd)) requote = true;
      if (lastField) return this.finish(start, fieldEnd, i, lines, fields, requote);
      fields++;
      i++;
    }
  }

  /** `lineEnd` is the record's line feed (or the end of the file); `end` its content's end. */
  private finish(
    start: number,
    end: number,
    lineEnd: number,
    lines: number,
    fields: number,
    requote: boolean,
  ): RecordStatus {
    this.recordEnd = end;
    this.recordNext = lineEnd + 1;
    this.recordLines = lines;
    this.recordRequote = requote;
    // The record's length counts everything before its line feed (or the end of the file).
    if (lineEnd - start > this.maxBytes)
      return this.lineError(`record longer than ${this.maxBytes} bytes (max_record_bytes)`);
    if (end === start) this.recordReason = 'empty line';
    else if (fields !== this.expectedFields)
      this.recordReason = `expected ${this.expectedFields} fields, found ${fields}`;
    else return GOOD;
    return BAD;
  }
}

/** Splits a header line into names (without a byte-order mark or surrounding spaces). */
export function parseHeader(line: string): string[] {
  return (parseCsv(line)[0] ?? ['']).map((name) => name.replace(/^\uFEFF/, '').trim());
}
