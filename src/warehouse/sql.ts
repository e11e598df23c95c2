/**
 * ClickHouse SQL text helpers shared by every transport. Identifiers are always backtick-quoted and
 * values always escaped here, so no caller splices raw user text into SQL.
 */

export function quoteIdent(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** `db`.`table`, or just `table` when no database is given. */
export function qualified(database: string | undefined, table: string): string {
  return database ? `${quoteIdent(database)}.${quoteIdent(table)}` : quoteIdent(table);
}

export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

export type SqlValue = string | number | bigint | boolean | null | Date | readonly SqlValue[];

/** Renders a JS value as a ClickHouse literal. Dates become UTC 'YYYY-MM-DD hh:mm:ss'. */
export function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot render ${value} as a SQL literal`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return quoteString(formatDateTime(value));
  return `[${value.map(literal).join(', ')}]`;
}

export function formatDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Replaces `{name}` placeholders with escaped literals: binding that also works on servers too old for query parameters. */
export function bindParams(sql: string, params: Readonly<Record<string, SqlValue>>): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
    if (!(name in params)) return match;
    return literal(params[name] as SqlValue);
  });
}

/** SETTINGS a = 1, b = 'x' (empty string when there are none). */
export function settingsClause(
  settings: Readonly<Record<string, string | number | boolean>> | undefined,
): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return '';
  return ` SETTINGS ${entries
    .map(([key, value]) => `${key} = ${typeof value === 'string' ? quoteString(value) : literal(value)}`)
    .join(', ')}`;
}
