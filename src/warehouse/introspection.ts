import { quoteString } from './sql.ts';
import type { ColumnInfo, QueryResult, TableInfo } from './warehouse.ts';

type Query = <Row>(sql: string) => Promise<QueryResult<Row>>;

// system.tables / system.columns have these columns on every ClickHouse version we support (18.16+).
export async function listTables(query: Query, database: string): Promise<TableInfo[]> {
  const { rows } = await query<TableInfo>(
    `SELECT database, name, engine FROM system.tables WHERE database = ${quoteString(database)} ORDER BY name`,
  );
  return rows;
}

export async function listColumns(query: Query, database: string, table: string): Promise<ColumnInfo[]> {
  const { rows } = await query<ColumnInfo>(
    `SELECT name, type FROM system.columns WHERE database = ${quoteString(database)} AND table = ${quoteString(table)}`,
  );
  return rows;
}
