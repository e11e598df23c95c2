/**
 * The statement-kind half of the read-only guard (the engine's `readonly = 1` is the other half).
 * Pure: it decides from the SQL text alone. It is deliberately conservative — anything it cannot
 * classify as one reading statement is refused, even if the engine would also refuse it.
 */

/** Statements a reader may run. `WITH` covers `WITH … SELECT`; `(` a parenthesised SELECT/UNION. */
const READING = new Set(['SELECT', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'WITH', 'EXPLAIN', '(']);

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The SQL with comments removed and every string literal or quoted identifier replaced by `''`,
 * so keyword checks never look inside quotes. Unterminated quotes or comments yield undefined.
 */
export function maskSql(sql: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '\\') j++;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j++;
          else break;
        }
      }
      if (j >= sql.length) return undefined;
      out += "''";
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Is this one reading statement (SELECT, SHOW, DESCRIBE, EXISTS, WITH … SELECT, EXPLAIN)? */
export function checkReadOnly(sql: string): Verdict {
  const masked = maskSql(sql);
  if (masked === undefined) return { ok: false, reason: 'unterminated quote or comment' };
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
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(masked.trim())?.[1];
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
