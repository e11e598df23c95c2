import { quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

/**
 * target/catalog.json (dbt's catalog schema v1) from ClickHouse's system tables: one query each to
 * system.tables, system.columns and system.parts for every schema the project uses — never a
 * query per node, so a 1,000-model project costs the same three round trips as a small one.
 * Only columns present on every supported ClickHouse (18.16 onwards) are read.
 */

/** The manifest fields the catalog needs (manifest.json as dema and dbt write it). */
export interface ManifestRelation {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly schema: string;
  readonly alias?: string;
  readonly identifier?: string;
  readonly name: string;
  readonly config?: { materialized?: string };
}

export interface WarehouseTable {
  readonly database: string;
  readonly name: string;
  readonly engine: string;
  readonly comment?: string;
}
export interface WarehouseColumn {
  readonly database: string;
  readonly table: string;
  readonly name: string;
  readonly type: string;
  readonly comment: string;
  /** 1-based; when the server has no `position` column, the order system.columns returned. */
  readonly position?: number | string;
}
export interface WarehouseParts {
  readonly database: string;
  readonly table: string;
  readonly rows: number | string;
  readonly bytes: number | string;
  readonly modified: string;
}

export interface CatalogStat {
  readonly id: string;
  readonly label: string;
  readonly value: string | number | boolean | null;
  readonly include: boolean;
  readonly description: string;
}

export interface CatalogTable {
  readonly unique_id: string;
  readonly metadata: {
    type: string;
    schema: string;
    name: string;
    database: string;
    comment: string | null;
    owner: string | null;
  };
  readonly columns: Record<string, { type: string; index: number; name: string; comment: string | null }>;
  readonly stats: Record<string, CatalogStat>;
}

export interface Catalog {
  readonly metadata: Record<string, unknown>;
  readonly nodes: Record<string, CatalogTable>;
  readonly sources: Record<string, CatalogTable>;
  readonly errors: string[] | null;
}

/** Which relation each catalogued node lives in: models (not ephemeral), seeds, snapshots, sources. */
export function catalogRelations(nodes: Iterable<ManifestRelation>): ManifestRelation[] {
  return [...nodes].filter(
    (n) =>
      ['model', 'seed', 'snapshot', 'source'].includes(n.resource_type) &&
      n.config?.materialized !== 'ephemeral',
  );
}

export function tableOf(node: ManifestRelation): string {
  return node.resource_type === 'source' ? (node.identifier ?? node.name) : (node.alias ?? node.name);
}

/** ClickHouse engines → dbt's relation types, as dbt-clickhouse reports them. */
export function relationType(engine: string): string {
  return ['View', 'MaterializedView', 'LiveView', 'WindowView'].includes(engine) ? 'view' : 'table';
}

function stat(id: string, label: string, value: CatalogStat['value'], description: string, include = true) {
  return { id, label, value, include, description };
}

export function statsFor(
  table: WarehouseTable,
  parts: WarehouseParts | undefined,
): Record<string, CatalogStat> {
  const hasStats = parts !== undefined && !relationType(table.engine).startsWith('view');
  const stats: Record<string, CatalogStat> = {
    has_stats: stat(
      'has_stats',
      'Has Stats?',
      hasStats,
      'Indicates whether there are statistics for this table',
      false,
    ),
  };
  if (!hasStats || !parts) return stats;
  stats.row_count = stat(
    'row_count',
    'Row Count',
    Number(parts.rows),
    'Rows in the active parts (before background merges collapse any duplicates)',
  );
  stats.bytes = stat('bytes', 'Approximate Size', Number(parts.bytes), 'Bytes on disk of the active parts');
  stats.last_modified = stat('last_modified', 'Last Modified', `${parts.modified} UTC`, 'Newest active part');
  return stats;
}

/** Pure: the warehouse's rows → catalog entries for the manifest's relations. */
export function buildCatalog(
  relations: readonly ManifestRelation[],
  tables: readonly WarehouseTable[],
  columns: readonly WarehouseColumn[],
  parts: readonly WarehouseParts[],
  metadata: Record<string, unknown>,
): Catalog {
  const key = (database: string, table: string) => `${database}\u0000${table}`;
  const tableByKey = new Map(tables.map((t) => [key(t.database, t.name), t]));
  const partsByKey = new Map(parts.map((p) => [key(p.database, p.table), p]));
  const columnsByKey = new Map<string, WarehouseColumn[]>();
  for (const column of columns) {
    const k = key(column.database, column.table);
    const list = columnsByKey.get(k) ?? [];
    list.push(column);
    columnsByKey.set(k, list);
  }
  const catalog: Catalog = { metadata, nodes: {}, sources: {}, errors: null };
  for (const node of relations) {
    const k = key(node.schema, tableOf(node));
    const table = tableByKey.get(k);
    if (!table) continue; // not built yet: dbt leaves it out of the catalog too
    const list = columnsByKey.get(k) ?? [];
    const entry: CatalogTable = {
      unique_id: node.unique_id,
      metadata: {
        type: relationType(table.engine),
        schema: table.database,
        name: table.name,
        database: '',
        comment: table.comment ? table.comment : null,
        owner: null,
      },
      columns: Object.fromEntries(
        list.map((c, i) => [
          c.name,
          {
            type: c.type,
            index: c.position === undefined ? i + 1 : Number(c.position),
            name: c.name,
            comment: c.comment === '' ? null : c.comment,
          },
        ]),
      ),
      stats: statsFor(table, partsByKey.get(k)),
    };
    if (node.resource_type === 'source') catalog.sources[node.unique_id] = entry;
    else catalog.nodes[node.unique_id] = entry;
  }
  return catalog;
}

/** Reads the system tables for the given schemas (three queries, whatever the number of nodes). */
export async function readCatalog(
  warehouse: Warehouse,
  relations: readonly ManifestRelation[],
  metadata: Record<string, unknown>,
): Promise<Catalog> {
  const schemas = [...new Set(relations.map((r) => r.schema))].sort();
  if (schemas.length === 0) return buildCatalog(relations, [], [], [], metadata);
  const inSchemas = `IN (${schemas.map(quoteString).join(', ')})`;
  // Newer servers have system.columns.position and system.tables.comment; 18.16 has neither.
  const { rows: optional } = await warehouse.query<{ table: string; name: string }>(
    "SELECT table, name FROM system.columns WHERE database = 'system' AND ((table = 'columns' AND name = 'position') OR (table = 'tables' AND name = 'comment'))",
  );
  const has = (table: string, name: string) => optional.some((c) => c.table === table && c.name === name);
  const position = has('columns', 'position') ? ', position' : '';
  const tables = await warehouse.query<WarehouseTable>(
    `SELECT database, name, engine${has('tables', 'comment') ? ', comment' : ''} FROM system.tables WHERE database ${inSchemas}`,
  );
  const columns = await warehouse.query<WarehouseColumn>(
    `SELECT database, table, name, type, comment${position} FROM system.columns WHERE database ${inSchemas}` +
      (position ? ' ORDER BY database, table, position' : ''),
  );
  const parts = await warehouse.query<WarehouseParts>(
    `SELECT database, table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, toString(max(modification_time), 'UTC') AS modified
     FROM system.parts WHERE active AND database ${inSchemas} GROUP BY database, table`,
  );
  return buildCatalog(relations, tables.rows, columns.rows, parts.rows, metadata);
}
