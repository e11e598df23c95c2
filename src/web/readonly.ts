/**
 * The statement-kind half of the read-only guard (the engine's `readonly = 1` is the other half).
 * Pure: it decides from the SQL text alone. It is deliberately conservative — anything it cannot
 * classify as one reading statement is refused, even if the engine would also refuse it.
 */

/** Statements a reader may run. `WITH` covers `WITH … SELECT`; `(` a parenthesised SELECT/UNION. */
const READING = new Set(['SELECT', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'WITH', 'EXPLAIN', '(']);

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Where a (possibly nested, as ClickHouse allows) block comment starting at `i` ends, or -1. */
function blockCommentEnd(sql: string, i: number): number {
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j++;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Where a quoted string or identifier starting at `i` ends (after its closing quote), or -1. */
function quoteEnd(sql: string, i: number): number {
  const quote = sql[i];
  for (let j = i + 1; j < sql.length; j++) {
    if (sql[j] === '\\') j++;
    else if (sql[j] === quote) {
      if (sql[j + 1] !== quote) return j + 1;
      j++;
    }
  }
  return -1;
}

/**
 * The SQL with comments removed and every string literal or quoted identifier replaced by `''`,
 * so keyword checks never look inside quotes. It follows ClickHouse's lexer: `--`, `# ` and `#!`
 * line comments, nested block comments, backslash and doubled-quote escapes. What it cannot lex
 * the same way for sure — unterminated quotes or comments, `$$` heredoc strings — is undefined,
 * and refused: a disagreement between this lexer and ClickHouse's must never let a write through.
 */
export function maskSql(sql: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    let end = i + 1;
    if ((c === '-' && next === '-') || (c === '#' && (next === ' ' || next === '!'))) {
      const newline = sql.indexOf('\n', i);
      end = newline < 0 ? sql.length : newline;
      out += ' ';
    } else if (c === '/' && next === '*') {
      end = blockCommentEnd(sql, i);
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      end = quoteEnd(sql, i);
      out += "''";
    } else if (c === '$') return undefined;
    else out += c;
    if (end < 0) return undefined;
    i = end;
  }
  return out;
}

/** Is this one reading statement (SELECT, SHOW, DESCRIBE, EXISTS, WITH … SELECT, EXPLAIN)? */
export function checkReadOnly(sql: string): Verdict {
  const masked = maskSql(sql);
  if (masked === undefined)
    return { ok: false, reason: 'unterminated quote or comment, or a $ heredoc (not supported here)' };
  const body = masked.trim().replace(/;\s*$/, '');
  if (body.includes(';')) return { ok: false, reason: 'one statement per request' };
  const first = /^(\(|[A-Za-z]+)/.exec(body)?.[1]?.toUpperCase();
  if (!first || !READING.has(first))
    return { ok: false, reason: `${first ?? 'this'} statements are not allowed: the interface is read-only` };
  // SELECT … INTO OUTFILE writes a file on the engine's host, which for chDB is this machine.
  if (/\bINTO\s+OUTFILE\b/i.test(body)) return { ok: false, reason: 'INTO OUTFILE writes a file' };
  // EXPLAIN of a write still plans it; only EXPLAIN of a reading statement is let through.
  if (first === 'EXPLAIN') {
    const rest = body
      .replace(
        /^EXPLAIN(\s+(AST|SYNTAX|QUERY\s+TREE|PLAN|PIPELINE|ESTIMATE|TABLE\s+OVERRIDE))?(\s+\w+\s*=\s*\w+\s*,?)*/i,
        '',
      )
      .trim();
    return checkReadOnly(rest);
  }
  return { ok: true };
}

/** The output format a statement names itself (`… FORMAT JSON`), which chDB honours over the default. */
export function statementFormat(sql: string): string | undefined {
  const masked = maskSql(sql) ?? '';
  return TRAILING_FORMAT.exec(masked.trim())?.[1];
}

const TRAILING_FORMAT = /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i;

/**
 * The statement without its trailing FORMAT clause, so the format can travel beside it (a server
 * client appends its own). Unchanged when the clause is not plainly the text's end (e.g. a comment follows).
 */
export function withoutFormat(sql: string): string {
  if (statementFormat(sql) === undefined) return sql;
  const match = TRAILING_FORMAT.exec(sql.trimEnd());
  return match ? sql.trimEnd().slice(0, match.index) : sql;
}

/**
 * URL parameters of ClickHouse's HTTP interface that configure the transport, not the query.
 * Every other parameter is a setting, and settings cannot change in readonly mode (as ClickHouse).
 */
const TRANSPORT_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'token',
  'quota_key',
  'role',
  'compress',
  'decompress',
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'wait_end_of_query',
  'buffer_size',
]);

/** The first URL parameter that would change a setting, if any. */
export function settingChange(params: URLSearchParams): string | undefined {
  for (const key of params.keys()) if (!TRANSPORT_PARAMS.has(key)) return key;
  return undefined;
}
