import { tuple } from '../jinja/py/values.ts';

/**
 * The slice of agate's Table that dbt macros use on `run_query` results: `.rows`, `.columns`,
 * `columns[i].values()`, `column_names`, `rows[i][j]` and `rows[i]['name']`.
 */
export class AgateColumn {
  constructor(
    readonly name: string,
    private readonly cells: readonly unknown[],
  ) {}

  /** A tuple, as agate's. */
  values(): unknown[] {
    return tuple([...this.cells]);
  }
}

/**
 * agate's MappedSequence (`table.columns`): a list that is also read by name — `columns[0]`,
 * `columns['n']`, and `.keys()` / `.values()` / `.items()` (dbt_utils' get_query_results_as_dict).
 */
function mappedSequence<T>(names: readonly string[], items: T[]): T[] {
  names.forEach((name, index) => {
    // A digit name or `length` would overwrite the list itself; those columns are read by index.
    if (!/^\d+$/.test(name) && name !== 'length')
      Object.defineProperty(items, name, { value: items[index], enumerable: false });
  });
  const methods = {
    keys: () => tuple([...names]),
    values: () => tuple([...items]),
    items: () => names.map((name, index) => tuple([name, items[index]])),
  };
  for (const [name, method] of Object.entries(methods))
    Object.defineProperty(items, name, { value: method, enumerable: false });
  return items;
}

export class AgateTable {
  readonly rows: (unknown[] & Record<string, unknown>)[];
  readonly columns: AgateColumn[];
  readonly column_names: string[];

  /** `names`: the result's columns, for an empty result (agate keeps them; there is no row to read). */
  constructor(
    records: readonly Record<string, unknown>[],
    names: readonly string[] = Object.keys(records[0] ?? {}),
  ) {
    this.column_names = [...names];
    this.rows = records.map((record) =>
      Object.assign(
        names.map((name) => record[name]),
        record,
      ),
    );
    this.columns = mappedSequence(
      names,
      names.map(
        (name, index) =>
          new AgateColumn(
            name,
            this.rows.map((row) => row[index]),
          ),
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

export function agateTable(
  records: readonly Record<string, unknown>[],
  names?: readonly string[],
): AgateTable {
  return new AgateTable(records, names);
}
