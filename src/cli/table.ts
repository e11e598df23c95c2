/** Renders rows as an aligned text table for the terminal. */
export function renderTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const names = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  if (names.length === 0) return '(no rows)';
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? 'NULL'
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  const cells = rows.map((row) => names.map((name) => cell(row[name]).replace(/\n/g, '\\n')));
  const widths = names.map((name, i) =>
    Math.min(60, Math.max(name.length, ...cells.map((r) => r[i]!.length))),
  );
  const fit = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const lines = [
    names.map((name, i) => fit(name, widths[i]!)).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((r) => r.map((text, i) => fit(text, widths[i]!)).join('  ')),
  ];
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}
