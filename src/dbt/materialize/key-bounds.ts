import { quoteIdent } from '../../warehouse/sql.ts';
import type { ColumnInfo } from '../../warehouse/warehouse.ts';
import type { NodeConfig } from '../project/config-tree.ts';
import { rel, type TableRef } from './ddl.ts';

/**
 * Range bounds that let the search for replaced rows (matchingPartitions) skip granules and parts.
 *
 * Invariant: a live row delete+insert replaces has every key column equal to that of some new row
 * (replacedRows: tuple IN, NULL never equal), so each such key column lies between the new rows'
 * min and max. Adding `col between min and max` therefore drops no partition that holds a replaced
 * row; it only lets ClickHouse prune by the sorting key and partition min-max indexes (the new rows
 * of a daily batch are recent: one month instead of the whole table). Bounded are only plain key
 * columns of the sorting key whose order agrees with equality: not Nullable (a NULL bound would
 * compare to NULL), not Float (NaN), nothing compared by anything but bytes or numbers.
 */

const ORDERED =
  /^(LowCardinality\()?(String|FixedString\(\d+\)|U?Int\d+|Date|Date32|DateTime(\(.*\))?|DateTime64\(.*\)|Decimal(\d+)?\(.*\))\)?$/;

/** A list config (`['a', 'b']` or `'a, b'`) as its items; an expression with a comma stays whole. */
function names(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map((item) => String(item).trim());
  const text = String(value);
  return (text.includes('(') ? [text] : text.split(',')).map((item) => item.trim());
}

/**
 * The key columns worth bounding: the first two of the sorting key when they are plain key columns
 * of a type ordered like equality. Later sort columns rarely exclude a granule, and each bound costs
 * its filter on every row read (measured on the dema project: four bounds cost 1.3× two).
 */
export function boundedKeyColumns(config: NodeConfig, columns: readonly ColumnInfo[]): string[] {
  const key = new Set(names(config.unique_key));
  const types = new Map(columns.map((column) => [column.name, column.type]));
  return names(config.order_by)
    .slice(0, 2)
    .filter((name) => key.has(name) && ORDERED.test(types.get(name) ?? ''));
}

/** `col >= (select min(col) from new) and col <= (select max(col) from new)` per bounded column. */
export function keyBounds(newData: TableRef, names: readonly string[]): string[] {
  return names.map((name) => {
    const column = quoteIdent(name);
    return `${column} between (select min(${column}) from ${rel(newData)}) and (select max(${column}) from ${rel(newData)})`;
  });
}
