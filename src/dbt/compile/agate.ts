/**
 * The slice of agate's Table that dbt macros use on `run_query` results: `.rows`, `.columns`,
 * `columns[i].values()`, `column_names`, `rows[i][j]` and `rows[i]['name']`.
 */
export function agateTable(records: readonly Record<string, unknown>[]) {
  const names = records[0] ? Object.keys(records[0]) : [];
  const rows = records.map((record) => {
    const row: unknown[] & Record<string, unknown> = Object.assign(
      names.map((name) => record[name]),
      record,
    );
    return row;
  });
  const columns = names.map((name, index) => ({
    name,
    values: () => rows.map((row) => row[index]),
  }));
  return {
    rows,
    columns,
    column_names: names,
    length: rows.length,
    print_table: () => '',
  };
}
