/** The relations a SELECT reads from, as column lineage sees them (see column-lineage.ts). */

export interface ColumnOrigin {
  readonly node: string;
  readonly column: string;
  readonly direct: boolean;
}

export interface LineageContext {
  /** The node a relation `schema.table` (schema undefined when unqualified) is built by, if any. */
  readonly resolveRelation: (schema: string | undefined, table: string) => string | undefined;
  /** The columns of a node in order, when known (from the catalog), so `*` can be expanded. */
  readonly columnsOf: (node: string) => readonly string[] | undefined;
}

/** A relation in scope: its columns (in order, when known) and where each comes from. */
export interface Rel {
  readonly order: readonly string[] | undefined;
  lookup(column: string): ColumnOrigin[] | undefined;
}

export interface ScopeEntry {
  readonly names: readonly string[];
  readonly rel: Rel;
}

export const UNKNOWN: Rel = { order: undefined, lookup: () => undefined };
export function tableRel(node: string, columns: readonly string[] | undefined): Rel {
  const known = columns ? new Set(columns) : undefined;
  return {
    order: columns,
    lookup: (column) => (known && !known.has(column) ? undefined : [{ node, column, direct: true }]),
  };
}

export function columnsRel(order: string[], origins: ColumnOrigin[][]): Rel {
  const byName = new Map<string, ColumnOrigin[]>();
  order.forEach((name, i) => {
    if (!byName.has(name)) byName.set(name, origins[i]!);
  });
  return { order, lookup: (column) => byName.get(column) };
}

export function dedupe(origins: readonly ColumnOrigin[]): ColumnOrigin[] {
  const seen = new Map<string, ColumnOrigin>();
  for (const o of origins) {
    const key = `${o.node}\u0000${o.column}`;
    const prior = seen.get(key);
    if (!prior || (o.direct && !prior.direct)) seen.set(key, o);
  }
  return [...seen.values()];
}
