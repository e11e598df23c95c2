/**
 * The slice of agate's Table that dbt macros use on `run_query` results: `.rows`, `.columns`,
 * `columns[i].values()`, `column_names`, `rows[i][j]` and `rows[i]['name']`.
 */
export class AgateColumn {
  constructor(
    readonly name: string,
    private readonly cells: readonly unknown[],
  ) {}

  values(): unknown[] {
    return [...this.cells];
  }
}

export class AgateTable {
  readonly rows: (unknown[] & Record<string, unknown>)[];
  readonly columns: AgateColumn[];
  readonly column_names: string[];

  constructor(records: readonly Record<string, unknown>[]) {
    const names = records[0] ? Object.keys(records[0]) : [];
    this.column_names = names;
    this.rows = records.map((record) =>
      Object.assign(
        names.map((name) => record[name]),
        record,
      ),
    );
    this.columns = names.map(
      (name, index) =>
        new AgateColumn(
          name,
          this.rows.map((row) => row[index]),
        ),
    );
  }

  get length(): number {
    return this.rows.length;
  }

  /** `{% for row in table %}` iterates the rows, as agate's Table does. */
  [Symbol.iterator](): Iterator<unknown[]> {
    return this.rows[Symbol.iterator]();
  }

  print_table(): string {
    return '';
  }
}

export function agateTable(records: readonly Record<string, unknown>[]): AgateTable {
  return new AgateTable(records);
}
