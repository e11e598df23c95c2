import type { Capabilities } from './capabilities.ts';

export type Settings = Readonly<Record<string, string | number | boolean>>;

/** What ClickHouse reported about one statement, where the transport exposes it. */
export interface StatementStats {
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly rowsWritten: number;
  readonly elapsedMs: number;
}

export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly stats: StatementStats;
}

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
}

export interface TableInfo {
  readonly database: string;
  readonly name: string;
  readonly engine: string;
}

/** Bytes in a ClickHouse input format, handed to the engine unparsed. */
export interface ByteInsert {
  readonly table: string;
  readonly database?: string;
  readonly columns: readonly string[];
  readonly format: 'CSV' | 'CSVWithNames';
  readonly chunks: AsyncIterable<Buffer>;
  readonly settings?: Settings;
  /**
   * Each chunk holds whole records and their order does not matter (e.g. rows carry their own line
   * numbers), so a transport may send chunks over several connections at once.
   */
  readonly unordered?: boolean;
}

/** A local CSV file the engine reads itself, numbering rows as it goes. */
export interface FileInsert {
  readonly table: string;
  readonly database?: string;
  readonly path: string;
  readonly format: 'CSVWithNames';
  readonly columns: readonly string[];
  /** A column filled with the row's position in the file plus `firstRowNumber`. */
  readonly rowNumberColumn: string;
  readonly firstRowNumber: number;
  readonly settings?: Settings;
}

/**
 * The one interface every ClickHouse transport implements. Core code speaks ClickHouse SQL through
 * it and asks `capabilities` what the engine can do; it never asks which transport it has.
 */
export interface Warehouse {
  readonly transport: 'embedded' | 'server';
  /** The default database (the dbt "schema") for unqualified names. */
  readonly database: string;
  readonly capabilities: Capabilities;
  /** A human description without secrets, e.g. "chDB 26.7 at .dema/warehouse". */
  readonly description: string;

  query<Row = Record<string, unknown>>(sql: string, settings?: Settings): Promise<QueryResult<Row>>;
  /** Runs a query and returns its output in a ClickHouse output format (CSVWithNames, PrettyCompact…). */
  queryText(sql: string, format: string, settings?: Settings): Promise<string>;
  /**
   * A query answered synchronously, for Jinja's `run_query` / `statement` (templates render synchronously).
   * Slow on the server transport (one helper process per call): keep it off hot paths.
   */
  querySync<Row = Record<string, unknown>>(sql: string): Row[];
  command(sql: string, settings?: Settings): Promise<StatementStats>;
  insertBytes(insert: ByteInsert): Promise<StatementStats>;
  /**
   * Only transports that run beside the caller's files (embedded): the engine reads the file with
   * its own parallel parser — the fastest load there is.
   */
  insertFile?(insert: FileInsert): Promise<StatementStats>;
  /**
   * Throws when this process no longer holds the warehouse lock it took (a server lock can expire
   * and be broken); called before a publish commits. Transports whose lock cannot be lost omit it.
   */
  checkLock?(): Promise<void>;
  listTables(database: string): Promise<TableInfo[]>;
  listColumns(database: string, table: string): Promise<ColumnInfo[]>;
  close(): Promise<void>;
}

export const NO_STATS: StatementStats = { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: 0 };
