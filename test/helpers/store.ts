import { connectWarehouse } from '../../src/warehouse/connect.ts';

/** Opens an embedded store, runs one query and closes it again (the CLI child needs the store free). */
export async function queryStore<Row = Record<string, unknown>>(
  path: string,
  schema: string,
  sql: string,
): Promise<Row[]> {
  const warehouse = await connectWarehouse({ type: 'chdb', path, schema });
  try {
    return (await warehouse.query<Row>(sql)).rows;
  } finally {
    await warehouse.close();
  }
}

/** Opens an embedded store, runs one statement and closes it again. */
export async function commandStore(path: string, schema: string, sql: string): Promise<void> {
  const warehouse = await connectWarehouse({ type: 'chdb', path, schema });
  try {
    await warehouse.command(sql);
  } finally {
    await warehouse.close();
  }
}
