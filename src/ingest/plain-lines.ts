/**
 * Whether complete CSV lines are "plain": each line one record that chDB's own parser reads
 * exactly as dema's scanner rule does (csv-scanner.ts) — so the clean-file path may load the file
 * straight. Not plain: an empty line, a CR that is not part of a CRLF ending, a field that is
 * exactly `\N` (chDB reads NULL), a quoted field that spans lines, is never closed, or is
 * followed by text (chDB would load `"abc" ,` as `abc`; the rule rejects it). Conservative: a
 * false "not plain" only costs the fast path. Native searches only, so it keeps up with hashing.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const UPPER_N = 0x4e;
const EMPTY_LINE = Buffer.from('\n\n');
const EMPTY_CRLF_LINE = Buffer.from('\n\r\n');

/** `buf` starts at a line start and holds whole lines (the last one may end at the end of the file). */
export function plainLines(buf: Buffer): boolean {
  if (buf.length === 0) return true;
  if (buf[0] === LF || (buf[0] === CR && buf[1] === LF)) return false;
  if (buf.indexOf(EMPTY_LINE) !== -1 || buf.indexOf(EMPTY_CRLF_LINE) !== -1) return false;
  for (let at = buf.indexOf(CR); at !== -1; at = buf.indexOf(CR, at + 1))
    if (buf[at + 1] !== LF) return false;
  for (let at = buf.indexOf(BACKSLASH); at !== -1; at = buf.indexOf(BACKSLASH, at + 1)) {
    const before = at === 0 ? LF : buf[at - 1];
    const after = buf[at + 2];
    if (
      buf[at + 1] === UPPER_N &&
      (before === COMMA || before === LF) &&
      (after === undefined || after === COMMA || after === LF || after === CR)
    )
      return false;
  }
  return quotesPlain(buf);
}

function quotesPlain(buf: Buffer): boolean {
  const length = buf.length;
  for (let at = buf.indexOf(QUOTE); at !== -1; ) {
    const before = at === 0 ? LF : buf[at - 1];
    let i = at + 1;
    // A quote inside an unquoted field is text, for both parsers; one opening a field must close on
    // its line and be followed by a comma or the line ending. Fields are short: bytes, not searches.
    if (before === COMMA || before === LF) {
      for (;;) {
        if (i >= length) return false;
        const byte = buf[i]!;
        if (byte === QUOTE) {
          if (buf[i + 1] !== QUOTE) break;
          i += 2;
        } else if (byte === LF) return false;
        else i++;
      }
      const after = buf[i + 1];
      if (after !== undefined && after !== COMMA && after !== LF && !(after === CR && buf[i + 2] === LF))
        return false;
      i++;
    }
    at = buf.indexOf(QUOTE, i);
  }
  return true;
}
