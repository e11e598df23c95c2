/**
 * The first bytes of a byte insert, to tell a small input (a seed, a few rejected rows) from a
 * stream. A small one is written to a plain file for file() to read: the same INSERT, without
 * spawning `mkfifo` (a fork of this large process, tens of milliseconds of CPU per insert).
 */

/** Inputs up to this size are written to a plain file; larger ones stream through a FIFO. */
export const SMALL_INPUT_BYTES = 1 << 20;

export type InputStart =
  | { readonly whole: Buffer }
  | { readonly head: readonly Buffer[]; readonly rest: AsyncIterable<Buffer> };

/** Reads `chunks` until they end (whole) or pass `limit` bytes (head, and the rest still to read). */
export async function startOf(chunks: AsyncIterable<Buffer>, limit = SMALL_INPUT_BYTES): Promise<InputStart> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { whole: Buffer.concat(head) };
    head.push(next.value);
    size += next.value.length;
    if (size > limit) return { head, rest: { [Symbol.asyncIterator]: () => iterator } };
  }
}

/** The chunks already read, then the rest. */
export async function* chain(head: readonly Buffer[], rest: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  yield* head;
  yield* rest;
}
