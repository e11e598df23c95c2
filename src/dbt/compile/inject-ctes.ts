/**
 * Puts CTEs in front of a statement as dbt does: after a leading WITH, or as a new WITH
 * (dbt-semantics.md §3.5). Leading comments and whitespace are skipped to find the first keyword.
 */
export function injectCtes(sql: string, ctes: readonly string[]): string {
  if (ctes.length === 0) return sql;
  let index = 0;
  for (;;) {
    while (index < sql.length && /\s/.test(sql[index]!)) index++;
    if (sql.startsWith('--', index)) {
      const end = sql.indexOf('\n', index);
      index = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', index)) {
      const end = sql.indexOf('*/', index);
      index = end === -1 ? sql.length : end + 2;
    } else break;
  }
  const joined = ctes.join(',\n');
  const leadingWith = /^with(\s+recursive)?\b/i.exec(sql.slice(index));
  if (leadingWith) {
    const after = index + leadingWith[0].length;
    return `${sql.slice(0, after)} ${joined},\n${sql.slice(after).replace(/^\s+/, '')}`;
  }
  return `${sql.slice(0, index)}with ${joined}\n${sql.slice(index)}`;
}
