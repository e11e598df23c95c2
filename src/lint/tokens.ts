/**
 * Jinja-aware tokens of a dbt SQL file, with offsets into the raw source.
 *
 * Jinja is found first (it is rendered before the SQL exists): every `{{ … }}`, `{% … %}` and
 * `{# … #}` becomes one `jinja` token, a placeholder that keeps its exact position and length, so
 * rules report line:col in the source file and fixes can prove they never touch a Jinja byte.
 */

export type TokenKind = 'ws' | 'nl' | 'comment' | 'string' | 'qident' | 'number' | 'word' | 'punct' | 'jinja';

export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface JinjaSpan {
  readonly start: number;
  readonly end: number;
  /** `{{` expression, `{%` statement or `{#` comment. */
  readonly type: 'expr' | 'stmt' | 'comment';
}

/** Thrown for a Jinja tag that never closes; the linter reports it as a finding. */
export class UnclosedJinja extends Error {
  constructor(readonly offset: number) {
    super('unclosed Jinja tag');
  }
}

/** The closing delimiter of a Jinja tag opened at `start`, skipping quoted strings inside it. */
function jinjaEnd(text: string, start: number, close: string): number {
  let i = start + 2;
  while (i < text.length) {
    const c = text[i];
    if (close !== '#}' && (c === '"' || c === "'")) {
      const q = text.indexOf(c, i + 1);
      if (q < 0) break;
      i = q + 1;
      continue;
    }
    if (text.startsWith(close, i)) return i + 2;
    i++;
  }
  throw new UnclosedJinja(start);
}

const RAW_OPEN = /^\{%-?\s*raw\s*-?%\}/;
const RAW_CLOSE = /\{%-?\s*endraw\s*-?%\}/g;

/** Every Jinja tag of the file, in order; a `{% raw %}…{% endraw %}` block is one span. */
export function jinjaSpans(text: string): JinjaSpan[] {
  const spans: JinjaSpan[] = [];
  let i = text.indexOf('{');
  while (i >= 0 && i < text.length - 1) {
    const two = text.slice(i, i + 2);
    if (two === '{{' || two === '{%' || two === '{#') {
      let end = jinjaEnd(text, i, two === '{{' ? '}}' : two === '{%' ? '%}' : '#}');
      if (two === '{%' && RAW_OPEN.test(text.slice(i, end))) {
        RAW_CLOSE.lastIndex = end;
        const close = RAW_CLOSE.exec(text);
        if (!close) throw new UnclosedJinja(i);
        end = close.index + close[0].length;
      }
      spans.push({ start: i, end, type: two === '{{' ? 'expr' : two === '{%' ? 'stmt' : 'comment' });
      i = text.indexOf('{', end);
    } else i = text.indexOf('{', i + 1);
  }
  return spans;
}

const WORD = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Tokens of `text` given its Jinja spans; a string or comment may contain Jinja spans. */
export function tokenize(text: string, spans: readonly JinjaSpan[]): Token[] {
  const spanAt = new Map(spans.map((s) => [s.start, s]));
  const skipSpan = (i: number) => spanAt.get(i)?.end ?? i + 1;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    const c = text[i] as string;
    let kind: TokenKind;
    const span = spanAt.get(i);
    if (span) {
      kind = 'jinja';
      i = span.end;
    } else if (c === '\n' || text.startsWith('\r\n', i)) {
      // A CRLF line end is a line end, not trailing whitespace: --fix keeps a file's line ends.
      kind = 'nl';
      i += c === '\n' ? 1 : 2;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      kind = 'ws';
      while (
        i < text.length &&
        /[ \t\r\f\v]/.test(text[i] as string) &&
        !spanAt.has(i) &&
        !text.startsWith('\r\n', i)
      )
        i++;
    } else if (text.startsWith('--', i)) {
      kind = 'comment';
      while (i < text.length && text[i] !== '\n' && !text.startsWith('\r\n', i)) i = skipSpan(i);
      // Trailing blanks after a line comment are whitespace, for the trailing-whitespace rule.
      while (i > start + 2 && /[ \t\r]/.test(text[i - 1] as string)) i--;
    } else if (text.startsWith('/*', i)) {
      kind = 'comment';
      i += 2;
      while (i < text.length && !text.startsWith('*/', i)) i = skipSpan(i);
      i = Math.min(text.length, i + 2);
    } else if (c === "'" || c === '"' || c === '`') {
      kind = c === "'" ? 'string' : 'qident';
      i++;
      while (i < text.length && text[i] !== c) i = text[i] === '\\' ? i + 2 : skipSpan(i);
      i = Math.min(text.length, i + 1);
    } else if (/[0-9]/.test(c)) {
      kind = 'number';
      while (i < text.length && /[0-9A-Za-z_.]/.test(text[i] as string) && !spanAt.has(i)) i++;
    } else if (WORD.test(c)) {
      kind = 'word';
      while (i < text.length && WORD_PART.test(text[i] as string) && !spanAt.has(i)) i++;
    } else {
      kind = 'punct';
      i++;
    }
    tokens.push({ kind, start, end: i, text: text.slice(start, i) });
  }
  return tokens;
}

/** 1-based line and column of each offset, from a table of line starts. */
export function positionOf(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] as number) + 1 };
  };
}
