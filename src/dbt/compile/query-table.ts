import type { Warehouse } from '../../warehouse/warehouse.ts';
import { type AgateTable, agateTable } from './agate.ts';

/**
 * `run_query` / `statement` results as agate tables. agate keeps the columns of an empty result
 * (dbt_utils' get_single_value reads `columns[0].values()` of one to fall back on its default), but
 * JSONEachRow has no row to take their names from: for an empty SELECT they are asked of DESCRIBE
 * (one more query, only then).
 */
export function queryTable(warehouse: Pick<Warehouse, 'querySync'>, sql: string): AgateTable {
  const rows = warehouse.querySync<Record<string, unknown>>(sql);
  const query = rows.length === 0 ? describableQuery(sql) : undefined;
  if (!query) return agateTable(rows);
  let names: string[];
  try {
    names = warehouse.querySync<{ name: string }>(`DESCRIBE TABLE (\n${query}\n)`).map((c) => c.name);
  } catch {
    // The query itself ran; one DESCRIBE cannot wrap (e.g. a FORMAT clause) just has no names, as before.
    return agateTable(rows);
  }
  return agateTable(rows, names);
}

/** The SQL without leading comments and a trailing `;` when it is a query (SELECT, WITH, or in parentheses). */
export function describableQuery(sql: string): string | undefined {
  const text = sql.replace(/^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return /^(select|with)\b|^\(/i.test(text) ? text.replace(/;\s*$/, '') : undefined;
}
