/**
 * A small tokenizer for compiled ClickHouse SQL, enough to read select lists and FROM clauses for
 * column lineage. Comments and whitespace are dropped; string literals stay one token, so a word
 * inside a string is never mistaken for a column.
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The identifier without its quotes (words and quoted names), else the source text. */
  readonly text: string;
  /** Lower-cased text for keyword comparison (words only; quoted names never match keywords). */
  readonly lower: string;
}

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_$]/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string) =>
    tokens.push({ kind, text, lower: kind === 'word' ? text.toLowerCase() : '' });
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '-' && sql[i + 1] === '-') i = lineEnd(sql, i);
    else if (c === '#' && sql[i + 1] === ' ') i = lineEnd(sql, i);
    else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'") {
      const end = closing(sql, i, "'");
      push('string', sql.slice(i, end));
      i = end;
    } else if (c === '`' || c === '"') {
      const end = closing(sql, i, c);
      push('quoted', sql.slice(i + 1, end - 1).replace(new RegExp(`\\\\?${c}${c}?`, 'g'), c));
      i = end;
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && WORD_CHAR.test(sql[end]!)) end++;
      push('word', sql.slice(i, end));
      i = end;
    } else if (/[0-9]/.test(c)) {
      let end = i + 1;
      while (end < sql.length && /[0-9A-Za-z_.]/.test(sql[end]!)) end++;
      push('number', sql.slice(i, end));
      i = end;
    } else {
      const two = sql.slice(i, i + 2);
      const op = ['::', '!=', '<>', '<=', '>=', '||', '->', '=='].includes(two) ? two : c;
      push('punct', op);
      i += op.length;
    }
  }
  return tokens;
}

function lineEnd(sql: string, from: number): number {
  const end = sql.indexOf('\n', from);
  return end < 0 ? sql.length : end + 1;
}

/** The index just past the closing quote; a backslash escapes, and a doubled quote is one quote. */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2;
    else if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** Is token i a name (a bare word or a quoted identifier)? */
export function isName(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'word' || token.kind === 'quoted');
}

/** Index of the matching ')' for the '(' at `open` (or the end). */
export function matchParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length;
}

/** Splits tokens[from, to) at top-level commas (outside parentheses and brackets). */
export function splitTopLevel(tokens: readonly Token[], from: number, to: number): [number, number][] {
  const parts: [number, number][] = [];
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) i = matchParen(tokens, i);
    else if (t.kind === 'punct' && t.text === ',') {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  if (start < to) parts.push([start, to]);
  return parts;
}

/** First top-level index in [from, to) whose token is one of the keywords (lower case), or `to`. */
export function findKeyword(
  tokens: readonly Token[],
  from: number,
  to: number,
  keywords: ReadonlySet<string>,
): number {
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) i = matchParen(tokens, i);
    else if (t.kind === 'word' && keywords.has(t.lower)) return i;
  }
  return to;
}
