import { resolve } from 'node:path';
import { DemaError } from '../../errors.ts';
import { type Capabilities, capabilitiesFor } from '../capabilities.ts';
import { toWarehouseError } from '../clickhouse-error.ts';
import { listColumns, listTables } from '../introspection.ts';
import { quoteIdent, settingsClause } from '../sql.ts';
import type {
  ByteInsert,
  ColumnInfo,
  QueryResult,
  Settings,
  StatementStats,
  TableInfo,
  Warehouse,
} from '../warehouse.ts';
import { acquireStoreLock, lockedError } from './store-lock.ts';

// chdb is loaded lazily: its 0.5 GB library costs ~50 ms to map, which server-only commands skip.
type ChdbModule = typeof import('chdb');
type ChdbSession = InstanceType<ChdbModule['Session']>;

export interface EmbeddedOptions {
  readonly path: string;
  readonly database: string;
}

function parseJsonLines<Row>(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as Row);
  return rows;
}

/** ClickHouse inside this process (chDB), with a persistent data directory owned by one process. */
export class ChdbWarehouse implements Warehouse {
  readonly transport = 'embedded' as const;
  readonly database: string;
  readonly capabilities: Capabilities;
  readonly description: string;
  private readonly session: ChdbSession;
  private readonly release: () => void;

  private constructor(session: ChdbSession, release: () => void, options: EmbeddedOptions, version: string) {
    this.session = session;
    this.release = release;
    this.database = options.database;
    this.capabilities = capabilitiesFor(version);
    this.description = `chDB ${version} at ${options.path}`;
  }

  static async open(options: EmbeddedOptions): Promise<ChdbWarehouse> {
    const directory = resolve(options.path);
    const release = acquireStoreLock(directory);
    let session: ChdbSession;
    try {
      const { Session } = await import('chdb');
      session = new Session(directory);
    } catch (error) {
      release();
      const text = `${(error as Error).message} ${String((error as Error).cause ?? '')}`;
      if (/Cannot lock file|Failed to create connection/.test(text)) throw lockedError(directory, undefined);
      throw new DemaError(
        'WAREHOUSE_CONNECT',
        `Cannot open the embedded warehouse at ${directory}: ${text}`,
        {
          cause: error,
        },
      );
    }
    const version = session.query('SELECT version()', 'TSV').trim();
    const warehouse = new ChdbWarehouse(session, release, { ...options, path: directory }, version);
    await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(options.database)}`);
    // The session keeps this as the current database for unqualified names.
    await warehouse.command(`USE ${quoteIdent(options.database)}`);
    return warehouse;
  }

  private async run(sql: string, format: string) {
    try {
      return await this.session.queryAsync(sql, { format });
    } catch (error) {
      throw toWarehouseError(error, sql);
    }
  }

  async query<Row>(sql: string, settings?: Settings): Promise<QueryResult<Row>> {
    const result = await this.run(`${sql}${settingsClause(settings)}`, 'JSONEachRow');
    return {
      rows: parseJsonLines<Row>(result.text()),
      stats: {
        rowsRead: result.rowsRead,
        bytesRead: result.bytesRead,
        rowsWritten: 0,
        elapsedMs: result.elapsed * 1000,
      },
    };
  }

  async queryText(sql: string, format: string, settings?: Settings): Promise<string> {
    return (await this.run(`${sql}${settingsClause(settings)}`, format)).text();
  }

  async command(sql: string, settings?: Settings): Promise<StatementStats> {
    const result = await this.run(`${sql}${settingsClause(settings)}`, 'TSV');
    return {
      rowsRead: result.rowsRead,
      bytesRead: result.bytesRead,
      rowsWritten: 0,
      elapsedMs: result.elapsed * 1000,
    };
  }

  async insertBytes(insert: ByteInsert): Promise<StatementStats> {
    const table = insert.database ? `${insert.database}.${insert.table}` : insert.table;
    let rowsWritten = 0;
    let elapsedMs = 0;
    // One chunk in flight: the next chunk is produced (read + scanned on the JS thread) while
    // chDB parses and writes the previous one on a worker thread.
    let inFlight: Promise<void> | undefined;
    for await (const chunk of insert.chunks) {
      await inFlight;
      inFlight = this.session
        .insert({
          table,
          values: chunk,
          format: insert.format,
          columns: insert.columns,
          ...(insert.settings ? { settings: insert.settings } : {}),
        })
        .then(
          (summary) => {
            rowsWritten += summary.rowsWritten;
            elapsedMs += summary.elapsed * 1000;
          },
          (error: unknown) => {
            throw toWarehouseError(error, `INSERT INTO ${table} FORMAT ${insert.format}`);
          },
        );
      // Keep the rejection handled until it is awaited above or below.
      inFlight.catch(() => {});
    }
    await inFlight;
    return { rowsRead: 0, bytesRead: 0, rowsWritten, elapsedMs };
  }

  listTables(database: string): Promise<TableInfo[]> {
    return listTables((sql) => this.query(sql), database);
  }

  listColumns(database: string, table: string): Promise<ColumnInfo[]> {
    return listColumns((sql) => this.query(sql), database, table);
  }

  async close(): Promise<void> {
    try {
      this.session.close();
    } finally {
      this.release();
    }
  }
}
