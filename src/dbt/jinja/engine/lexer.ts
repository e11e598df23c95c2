/**
 * Jinja2's lexer with its default settings (as dbt uses them): `{{ }}`, `{% %}`, `{# #}`,
 * `-` whitespace control, trim_blocks and lstrip_blocks off, `{% raw %}`, and the source's
 * single trailing newline dropped (keep_trailing_newline off); `\r\n` becomes `\n`.
 */

export type TokenType =
  | 'data'
  | 'var_begin'
  | 'var_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'int'
  | 'float'
  | 'op'
  | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly line: number;
  /** For int/float/string: the decoded value. */
  readonly parsed?: unknown;
}

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const OPEN = /\{([{%#])/g;
const RAW_OPEN = /\{%[-+]?\s*raw\s*([-+]?)%\}/y;
const RAW_CLOSE = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;
const WHITESPACE = /\s+/y;
const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INTEGER = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*)/y;
const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OPERATORS = [
  '//',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '/',
  '*',
  '%',
  '~',
  '<',
  '>',
  '=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
  '|',
  ';',
];

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
};

/** Python's `unicode-escape` decoding of a string literal's body. */
export function unescapeString(body: string): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g,
    (whole, code: string) => {
      if (code.length > 1 && /^[xuU]/.test(code))
        return String.fromCodePoint(Number.parseInt(code.slice(1), 16));
      if (/^[0-7]+$/.test(code)) return String.fromCodePoint(Number.parseInt(code, 8));
      return ESCAPES[code] ?? whole;
    },
  );
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

export function tokenize(input: string): Token[] {
  let source = input.replace(/\r\n?/g, '\n');
  if (source.endsWith('\n')) source = source.slice(0, -1);
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let stripNext = false;
  const pushData = (text: string) => {
    const data = stripNext ? text.replace(/^\s+/, '') : text;
    stripNext = false;
    if (data) tokens.push({ type: 'data', value: data, line: line + countLines(text) - countLines(data) });
    line += countLines(text);
  };
  for (;;) {
    OPEN.lastIndex = pos;
    const open = OPEN.exec(source);
    if (!open) {
      pushData(source.slice(pos));
      break;
    }
    const kind = open[1]!;
    const stripBefore = source[open.index + 2] === '-';
    const before = source.slice(pos, open.index);
    const trimmed = stripBefore ? before.replace(/\s+$/, '') : before;
    pushData(trimmed);
    line += countLines(before) - countLines(trimmed);
    if (kind === '%') {
      RAW_OPEN.lastIndex = open.index;
      const raw = RAW_OPEN.exec(source);
      if (raw) {
        RAW_CLOSE.lastIndex = RAW_OPEN.lastIndex;
        const close = RAW_CLOSE.exec(source);
        if (!close) throw new TemplateSyntaxError('Missing end of raw directive', line);
        line += countLines(raw[0]);
        stripNext = raw[1] === '-';
        let body = source.slice(RAW_OPEN.lastIndex, close.index);
        if (close[1] === '-') body = body.replace(/\s+$/, '');
        const bodyLines = countLines(source.slice(RAW_OPEN.lastIndex, close.index));
        pushData(body);
        line += bodyLines - countLines(body) + countLines(close[0]);
        stripNext = close[2] === '-';
        pos = close.index + close[0].length;
        continue;
      }
    }
    if (kind === '#') {
      const end = source.indexOf('#}', open.index + 2);
      if (end === -1) throw new TemplateSyntaxError('Missing end of comment tag', line);
      line += countLines(source.slice(open.index, end));
      stripNext = source[end - 1] === '-' && end - 1 > open.index + 2;
      pos = end + 2;
      continue;
    }
    pos = lexTag(source, open.index, kind === '{' ? 'var' : 'block', tokens, line);
    const last = tokens.at(-1)!;
    line = last.line;
    stripNext = last.value.startsWith('-');
  }
  tokens.push({ type: 'eof', value: '', line });
  return tokens;
}

/** Lexes one `{{ … }}` or `{% … %}` into tokens; returns the position after its end. */
function lexTag(
  source: string,
  start: number,
  kind: 'var' | 'block',
  tokens: Token[],
  startLine: number,
): number {
  const close = kind === 'var' ? '}}' : '%}';
  let line = startLine;
  tokens.push({ type: `${kind}_begin`, value: source.slice(start, start + 2), line });
  let pos = start + 2;
  if (source[pos] === '-' || source[pos] === '+') pos++;
  const brackets: string[] = [];
  for (;;) {
    WHITESPACE.lastIndex = pos;
    const space = WHITESPACE.exec(source);
    if (space) {
      line += countLines(space[0]);
      pos = WHITESPACE.lastIndex;
    }
    if (pos >= source.length)
      throw new TemplateSyntaxError(`unexpected end of template, expected '${close}'`, line);
    if (brackets.length === 0) {
      const strip = source[pos] === '-' && source.startsWith(close, pos + 1);
      if (strip || source.startsWith(close, pos)) {
        tokens.push({ type: `${kind}_end`, value: strip ? `-${close}` : close, line });
        return pos + close.length + (strip ? 1 : 0);
      }
    }
    const token = lexToken(source, pos, line);
    if (!token) throw new TemplateSyntaxError(`unexpected char '${source[pos]}'`, line);
    if (token.type === 'op') {
      if ('([{'.includes(token.value)) brackets.push(token.value);
      else if (')]}'.includes(token.value)) {
        const expected = { ')': '(', ']': '[', '}': '{' }[token.value];
        if (brackets.pop() !== expected) throw new TemplateSyntaxError(`unexpected '${token.value}'`, line);
      }
    }
    tokens.push(token.token);
    line += countLines(token.raw);
    pos += token.raw.length;
  }
}

function lexToken(
  source: string,
  pos: number,
  line: number,
): { token: Token; raw: string; type: TokenType; value: string } | undefined {
  const at = (regex: RegExp) => {
    regex.lastIndex = pos;
    return regex.exec(source);
  };
  const make = (type: TokenType, raw: string, value: string, parsed?: unknown) => ({
    token: { type, value, line, parsed },
    raw,
    type,
    value,
  });
  let match = at(FLOAT);
  if (match) return make('float', match[0], match[0], Number(match[0].replace(/_/g, '')));
  match = at(INTEGER);
  if (match && !/[a-zA-Z_]/.test(source[pos + match[0].length] ?? '')) {
    const text = match[0].replace(/_/g, '').toLowerCase();
    const value = /^0[box]/.test(text) ? BigInt(text) : BigInt(text);
    return make('int', match[0], match[0], value);
  }
  match = at(NAME);
  if (match) return make('name', match[0], match[0]);
  match = at(STRING);
  if (match) {
    const body = match[1] ?? match[2] ?? '';
    return make('string', match[0], match[0], unescapeString(body));
  }
  for (const op of OPERATORS) if (source.startsWith(op, pos)) return make('op', op, op);
  return undefined;
}
