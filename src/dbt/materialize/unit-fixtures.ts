import { parseCsv } from '../../csv-text.ts';
import { quoteIdent, quoteString } from '../../warehouse/sql.ts';
import type { ColumnInfo } from '../../warehouse/warehouse.ts';

/**
 * The SQL of a dbt unit test (dbt-semantics.md §2.7), pure: fixture rows become `select … union all`
 * relations typed like the relation they stand for, and actual/expected rows are compared as
 * multisets of strings, both sides rendered by ClickHouse's `toString` of the same type so that
 * `1.50` and `1.5` of a Decimal, or `2024-01-01` and a Date, compare as ClickHouse sees them.
 */

export type FixtureRow = Readonly<Record<string, unknown>>;
export type Cell = string | null;

/** The rows of a `given`/`expect`: dict (default) or an inline csv string; `sql` gives raw SQL. */
export function fixtureRows(spec: Readonly<Record<string, unknown>>): FixtureRow[] | { sql: string } {
  const format = String(spec.format ?? 'dict');
  if (format === 'sql') return { sql: String(spec.rows ?? '') };
  if (format === 'csv') {
    // dbt reads csv cells as strings, an empty cell as '' (dbt-core #9881).
    const [header, ...records] = parseCsv(String(spec.rows ?? '').trim());
    if (!header) return [];
    const names = header.map((name) => name.trim());
    return records.map((record) => Object.fromEntries(names.map((name, i) => [name, record[i] ?? ''])));
  }
  return Array.isArray(spec.rows) ? (spec.rows as FixtureRow[]) : [];
}

/**
 * Fixture rows with each key spelled as the relation's column it names: dbt's format_row lower-cases
 * both sides, so `{ID: 1}` fills column `id`. An exact match wins; a key naming no column is kept
 * as written (the caller reports it).
 */
export function withColumnCase(rows: readonly FixtureRow[], names: readonly string[]): FixtureRow[] {
  const exact = new Set(names);
  const byLower = new Map<string, string>();
  for (const name of names) if (!byLower.has(name.toLowerCase())) byLower.set(name.toLowerCase(), name);
  const spelled = (key: string) => (exact.has(key) ? key : (byLower.get(key.toLowerCase()) ?? key));
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([key, value]) => [spelled(key), value])),
  );
}

/** A YAML value as a ClickHouse literal (YAML dates arrive as Date objects, booleans as 1/0). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) {
    const iso = value.toISOString();
    return quoteString(
      iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' '),
    );
  }
  return quoteString(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

const nullable = (type: string) =>
  type.startsWith('Nullable(') || type.startsWith('LowCardinality(Nullable(');

/** A typed cell of a fixture: a value cast to the column type; null or missing as dbt-clickhouse's safe_cast. */
function typedCell(value: unknown, type: string): string {
  if (value === null || value === undefined)
    return nullable(type)
      ? `CAST(NULL AS ${type})`
      : type.startsWith('Array(')
        ? `CAST([] AS ${type})`
        : // defaultValueOfTypeName is missing on older servers (18.x); this is the same default.
          `assumeNotNull(CAST(NULL AS Nullable(${type})))`;
  return `CAST(${literal(value)} AS ${type})`;
}

/**
 * A given's relation: every column of the input relation, in its order and type; the given rows
 * fill the columns they name, the rest are NULL (the type's default when not Nullable).
 */
export function fixtureSql(rows: readonly FixtureRow[], columns: readonly ColumnInfo[]): string {
  const select = (row: FixtureRow | undefined) =>
    `select ${columns.map((column) => `${typedCell(row?.[column.name], column.type)} as ${quoteIdent(column.name)}`).join(', ')}`;
  if (rows.length === 0) return `${select(undefined)} limit 0`;
  return rows.map(select).join('\nunion all\n');
}

/** The columns an expectation names: those of its first row, as dbt takes them. */
export function expectedColumns(rows: readonly FixtureRow[]): string[] {
  return rows[0] ? Object.keys(rows[0]) : [];
}

/** The actual rows of the model's SQL, restricted to the expected columns, as strings. */
export function actualSql(modelSql: string, columns: readonly string[]): string {
  const cells = columns.map((name, i) => `toString(${quoteIdent(name)}) as c${i}`).join(', ');
  return `select ${cells || '1 as c0'} from (\n${modelSql.trim()}\n) as __dbt_unit_actual`;
}

/** The expected rows as strings of the model's column types (`types` from the model's query). */
export function expectedSql(
  rows: readonly FixtureRow[],
  columns: readonly string[],
  types: ReadonlyMap<string, string>,
): string {
  if (rows.length === 0) return '';
  return rows
    .map((row) => {
      const cells = columns.map((name, i) => {
        const value = row[name];
        const type = types.get(name);
        const cell =
          value === null || value === undefined
            ? 'NULL'
            : type
              ? `CAST(${literal(value)} AS ${type})`
              : literal(value);
        return `toString(${cell}) as c${i}`;
      });
      return `select ${cells.join(', ') || '1 as c0'}`;
    })
    .join('\nunion all\n');
}

/** Whether ClickHouse has a Nullable of the type (not of arrays, tuples, maps, LowCardinality). */
const nullableOf = (type: string) => !/^(Array|Tuple|Map|LowCardinality|Nested|Nullable)\(/.test(type);

/** A column of the expectation's SQL as the model's type; NULLs kept where the model's is not Nullable. */
function typedAs(expression: string, from: string | undefined, to: string | undefined): string {
  if (!to || from === to) return expression;
  if (from && nullable(from) && !nullable(to) && nullableOf(to))
    return `CAST(${expression} AS Nullable(${to}))`;
  return `CAST(${expression} AS ${to})`;
}

/**
 * The expected rows of an `expect` with `format: sql`: the rows of that SQL on its own columns
 * (`sqlTypes`, in its order), each cast to the model's type of the column as the dict/csv rows are.
 */
export function expectedFromSql(
  sql: string,
  sqlTypes: ReadonlyMap<string, string>,
  modelTypes: ReadonlyMap<string, string>,
): string {
  const cells = [...sqlTypes].map(
    ([name, type], i) => `toString(${typedAs(quoteIdent(name), type, modelTypes.get(name))}) as c${i}`,
  );
  return `select ${cells.join(', ') || '1 as c0'} from (\n${withoutSemicolon(sql)}\n) as __dbt_unit_expected`;
}

/** A fixture's SQL as a subquery: a file may end its statement with `;`. */
export function withoutSemicolon(sql: string): string {
  return sql.trim().replace(/;\s*$/, '');
}

/**
 * dbt's comparison: order-insensitive, with multiplicity. Returns the rows only in actual (`+++`)
 * and only in expected (`---`), each as often as it is in excess; both empty means the test passes.
 */
export function diffRows(
  actual: readonly (readonly Cell[])[],
  expected: readonly (readonly Cell[])[],
): { onlyActual: Cell[][]; onlyExpected: Cell[][] } {
  const counts = new Map<string, { row: Cell[]; count: number }>();
  for (const row of actual) {
    const key = JSON.stringify(row);
    const entry = counts.get(key) ?? { row: [...row], count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  for (const row of expected) {
    const key = JSON.stringify(row);
    const entry = counts.get(key) ?? { row: [...row], count: 0 };
    entry.count--;
    counts.set(key, entry);
  }
  const onlyActual: Cell[][] = [];
  const onlyExpected: Cell[][] = [];
  for (const { row, count } of counts.values()) {
    for (let i = 0; i < count; i++) onlyActual.push(row);
    for (let i = 0; i > count; i--) onlyExpected.push(row);
  }
  return { onlyActual, onlyExpected };
}

/** The failure message: a table of the differing rows, `+++` actual and `---` expected, as dbt's diff. */
export function renderDiff(columns: readonly string[], diff: ReturnType<typeof diffRows>): string {
  const cell = (value: Cell) => (value === null ? 'NULL' : value);
  const line = (mark: string, row: readonly Cell[]) => [mark, ...row.map(cell)].join(',');
  return [
    'actual differs from expected:',
    '',
    `@@ ,${columns.join(',')}`,
    ...diff.onlyActual.map((row) => line('+++', row)),
    ...diff.onlyExpected.map((row) => line('---', row)),
  ].join('\n');
}
