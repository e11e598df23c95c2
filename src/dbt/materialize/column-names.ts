import { quoteIdent } from '../../warehouse/sql.ts';
import type { ColumnInfo, Warehouse } from '../../warehouse/warehouse.ts';
import type { DbtNode } from '../manifest/types.ts';

/**
 * Standard SQL names a selected column after the column, whatever the join: `select a.id, x from a
 * join b … join c …` has a column `id`. ClickHouse (26.x, with three or more relations) names it
 * `a.id`, so a downstream `ref(...)` selecting `id`, or a test on `id`, fails. dema publishes such a
 * column under its standard name when that name is unique in the result (a collision keeps the
 * qualified names, where standard SQL would have two columns named alike). Switched off per model
 * (or project-wide in dbt_project.yml) with the config `standard_column_names: false`.
 */

const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** The select that republishes `names` under their standard names; undefined when none changes. */
export function standardNamesSelect(sql: string, names: readonly string[]): string | undefined {
  const base = (name: string) => QUALIFIED.exec(name)?.[1] ?? name;
  const count = new Map<string, number>();
  for (const name of names) count.set(base(name), (count.get(base(name)) ?? 0) + 1);
  const renamed = names.map((name) =>
    QUALIFIED.test(name) && count.get(base(name)) === 1 ? base(name) : name,
  );
  if (renamed.every((name, i) => name === names[i])) return undefined;
  const list = names.map((name, i) =>
    name === renamed[i] ? quoteIdent(name) : `${quoteIdent(name)} as ${quoteIdent(renamed[i]!)}`,
  );
  return `select ${list.join(', ')}\nfrom (\n${sql.trim()}\n) dbt_standard_names`;
}

/**
 * The model SQL to materialize: unchanged unless it joins and ClickHouse qualifies a column name.
 * With the columns it described when the SQL is unchanged, so the materialization need not ask again.
 */
export async function withStandardColumnNames(
  node: DbtNode,
  sql: string,
  warehouse: Warehouse,
): Promise<{ sql: string; columns?: ColumnInfo[] }> {
  if (node.config.standard_column_names === false || !/\bjoin\b/i.test(sql)) return { sql };
  let columns: ColumnInfo[];
  try {
    const { rows } = await warehouse.query<ColumnInfo>(`describe (\n${sql.trim()}\n)`);
    columns = rows.map((row) => ({ name: row.name, type: row.type }));
  } catch {
    // The model's own statement reports what is wrong with its SQL, with the model's name.
    return { sql };
  }
  const renamed = standardNamesSelect(
    sql,
    columns.map((column) => column.name),
  );
  return renamed ? { sql: renamed } : { sql, columns };
}
