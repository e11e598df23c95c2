import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { plainLines } from './plain-lines.ts';

const LF = 0x0a;
/** Longer lines are not checked for UTF-8 here (the carry would grow without bound): not proven. */
const MAX_LINE_BYTES = 1 << 20;

/** What one pass over a file's bytes learns, alongside the hash the archive needs anyway. */
export interface ByteFacts {
  readonly sha256: string;
  readonly bytes: number;
  readonly lineFeeds: number;
  readonly endsWithLineFeed: boolean;
  /** Every line is valid UTF-8 (false also when a line was too long to check here). */
  readonly utf8: boolean;
  /** Every line is one record chDB reads as dema's rule does (plain-lines.ts; checked only up to the first non-UTF-8 or over-long line, so meaningful only with utf8). */
  readonly plain: boolean;
  /** Bytes of the longest line, without its line feed. */
  readonly longestLine: number;
}

/**
 * Hashes bytes and, in the same pass, counts line feeds and checks UTF-8 — what ClickHouse's own
 * parser cannot tell dema (it accepts invalid UTF-8; a record spanning lines would shift line
 * numbers). UTF-8 is checked line-aligned, because a chunk may end inside a character.
 */
export class ByteInspector {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private lineFeeds = 0;
  private utf8 = true;
  private plain = true;
  private lineStart = 0;
  private longestLine = 0;
  private last = LF;
  private carry = Buffer.alloc(0);

  /** `chunk` may be reused by the caller afterwards: nothing keeps a reference to it. */
  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    const offset = this.bytes;
    this.bytes += chunk.length;
    const first = chunk.indexOf(LF);
    for (let at = first; at !== -1; at = chunk.indexOf(LF, at + 1)) {
      this.lineFeeds++;
      if (offset + at - this.lineStart > this.longestLine) this.longestLine = offset + at - this.lineStart;
      this.lineStart = offset + at + 1;
    }
    this.last = chunk[chunk.length - 1]!;
    if (!this.utf8) return;
    if (first === -1) {
      this.carry = Buffer.concat([this.carry, chunk]);
      if (this.carry.length > MAX_LINE_BYTES) this.utf8 = false;
      return;
    }
    const final = chunk.lastIndexOf(LF);
    const firstLine = Buffer.concat([this.carry, chunk.subarray(0, first + 1)]);
    const lines = chunk.subarray(first + 1, final + 1);
    this.utf8 = isUtf8(firstLine) && isUtf8(lines);
    this.plain = this.plain && plainLines(firstLine) && plainLines(lines);
    this.carry = Buffer.from(chunk.subarray(final + 1));
  }

  digest(): ByteFacts {
    return {
      sha256: this.hash.digest('hex'),
      bytes: this.bytes,
      lineFeeds: this.lineFeeds,
      endsWithLineFeed: this.last === LF,
      utf8: this.utf8 && isUtf8(this.carry),
      plain: this.plain && plainLines(this.carry),
      longestLine: Math.max(this.longestLine, this.bytes - this.lineStart),
    };
  }
}

/**
 * Inspects a file through one reused buffer: no allocation per chunk, so a 1.2 GB file leaves no
 * garbage behind to raise the process's peak memory.
 */
export async function inspectFile(path: string, onProgress: (bytesDone: number) => void): Promise<ByteFacts> {
  const inspector = new ByteInspector();
  const buffer = Buffer.allocUnsafe(4 << 20);
  const handle = await open(path, 'r');
  try {
    let done = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, done);
      if (bytesRead === 0) break;
      inspector.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
      onProgress(done);
    }
  } finally {
    await handle.close();
  }
  return inspector.digest();
}

/** Data lines after a one-line header, as ClickHouse counts rows when every record is one line. */
export function dataLines(facts: ByteFacts): number {
  return Math.max(0, facts.lineFeeds - 1 + (facts.endsWithLineFeed ? 0 : 1));
}
