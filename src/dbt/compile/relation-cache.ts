import { quoteString } from '../../warehouse/sql.ts';
import type { ColumnInfo, Warehouse } from '../../warehouse/warehouse.ts';
import { Relation } from '../jinja/relation.ts';

/**
 * What exists in the warehouse, loaded before a run and updated after each node, so Jinja's
 * synchronous `is_incremental()`, `adapter.get_relation` and `get_columns_in_relation` answer
 * without a round trip (dbt keeps the same kind of cache, dbt-semantics.md §5).
 */
export class RelationCache {
  private readonly relations = new Map<string, { relation: Relation; columns: ColumnInfo[] }>();
  private readonly databaseEngines = new Map<string, string>();

  constructor(private readonly warehouse: Warehouse) {}

  private static key(schema: string, name: string): string {
    return `${schema}\u0000${name}`;
  }

  async load(schemas: Iterable<string>): Promise<void> {
    const list = [...new Set(schemas)];
    if (list.length === 0) return;
    const inList = list.map(quoteString).join(', ');
    const { rows: tables } = await this.warehouse.query<{ database: string; name: string; engine: string }>(
      `SELECT database, name, engine FROM system.tables WHERE database IN (${inList})`,
    );
    const { rows: columns } = await this.warehouse.query<{
      database: string;
      table: string;
      name: string;
      type: string;
    }>(
      // No ORDER BY position: 18.x lacks the column; system.columns lists each table's columns in order.
      `SELECT database, table, name, type FROM system.columns WHERE database IN (${inList})`,
    );
    const { rows: databases } = await this.warehouse.query<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.databases WHERE name IN (${inList})`,
    );
    for (const schema of list)
      for (const key of [...this.relations.keys()])
        if (key.startsWith(`${schema}\u0000`)) this.relations.delete(key);
    for (const database of databases) this.databaseEngines.set(database.name, database.engine);
    for (const table of tables)
      this.relations.set(RelationCache.key(table.database, table.name), {
        relation: new Relation(table.database, table.name, relationType(table.engine)),
        columns: [],
      });
    for (const column of columns)
      this.relations
        .get(RelationCache.key(column.database, column.table))
        ?.columns.push({ name: column.name, type: column.type });
  }

  /** One query: a relation has at least one column, so no row means no relation. */
  async refresh(schema: string, name: string): Promise<void> {
    const where = `database = ${quoteString(schema)} AND`;
    const { rows } = await this.warehouse.query<{ name: string; type: string; engine: string }>(
      `SELECT name, type, (SELECT engine FROM system.tables WHERE ${where} name = ${quoteString(name)}) AS engine FROM system.columns WHERE ${where} table = ${quoteString(name)}`,
    );
    const key = RelationCache.key(schema, name);
    if (!rows[0]) {
      this.relations.delete(key);
      return;
    }
    const { engine } = rows[0];
    const columns = rows.map((row) => ({ name: row.name, type: row.type }));
    this.relations.set(key, { relation: new Relation(schema, name, relationType(engine)), columns });
  }

  /** A relation a template created or renamed synchronously (its columns are read on the next refresh). */
  put(relation: Relation): void {
    this.relations.set(RelationCache.key(relation.schema, relation.identifier), { relation, columns: [] });
  }

  forget(schema: string, name: string): void {
    this.relations.delete(RelationCache.key(schema, name));
  }

  get(schema: string, name: string): Relation | undefined {
    return this.relations.get(RelationCache.key(schema, name))?.relation;
  }

  columns(schema: string, name: string): ColumnInfo[] {
    return this.relations.get(RelationCache.key(schema, name))?.columns ?? [];
  }

  databaseEngine(schema: string): string | undefined {
    return this.databaseEngines.get(schema);
  }
}

function relationType(engine: string): Relation['type'] {
  if (engine === 'View') return 'view';
  if (engine === 'MaterializedView') return 'materialized_view';
  if (engine === 'Dictionary') return 'dictionary';
  return 'table';
}
