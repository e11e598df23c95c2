import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DemaError } from '../../errors.ts';
import { fsError } from '../../fs-error.ts';
import { testInsertSettings } from '../../kill-point.ts';
import { type Capabilities, capabilitiesFor, standardSessionSettings } from '../capabilities.ts';
import { toWarehouseError } from '../clickhouse-error.ts';
import { listColumns, listTables } from '../introspection.ts';
import { qualified, quoteIdent, quoteString, settingsClause } from '../sql.ts';
import type {
  ByteInsert,
  ColumnInfo,
  FileInsert,
  QueryResult,
  Settings,
  StatementStats,
  TableInfo,
  Warehouse,
} from '../warehouse.ts';
import { chain, startOf } from './small-input.ts';
import { acquireStoreLock, lockedError } from './store-lock.ts';

// chdb is loaded lazily: its 0.5 GB library costs ~50 ms to map, which server-only commands skip.
type ChdbModule = typeof import('chdb');
type ChdbSession = InstanceType<ChdbModule['Session']>;

export interface EmbeddedOptions {
  readonly path: string;
  readonly database: string;
  /** Session settings (a profile's custom_settings), applied once with SET for every later query. */
  readonly settings?: Settings;
  /** How long to wait for another process to release the store (default: not at all). */
  readonly lockWaitMs?: number;
}

/** Characters file() expands as a glob; ClickHouse has no way to escape them (checked on chDB 26.7). */
const GLOB_CHARACTERS = /[*?{}[\]]/;

/**
 * A private directory for the files and pipes handed to file(), whose path holds no glob character.
 * Returns it with its removal.
 */
function privateDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dema-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (GLOB_CHARACTERS.test(dir)) {
    remove();
    throw new DemaError(
      'WAREHOUSE_STORE',
      `The temporary directory ${tmpdir()} has a glob character (* ? { } [ ]) in its path.`,
      {
        hint: 'ClickHouse would read it as a pattern: set TMPDIR to a directory without those characters.',
      },
    );
  }
  return { dir, remove };
}

function parseJsonLines<Row>(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as Row);
  return rows;
}

/** ClickHouse inside this process (chDB), with a persistent data directory owned by one process. */
/**
 * Resolves on the first of `events`, then removes every listener it added: racing `once()` calls
 * leaves the loser's listener behind, one per wait, until Node warns of a leak (MaxListeners).
 */
function firstOf(emitter: NodeJS.EventEmitter, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of events) emitter.off(event, done);
      resolve();
    };
    for (const event of events) emitter.on(event, done);
  });
}

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
    const waitMs = options.lockWaitMs ?? 0;
    const started = Date.now();
    let release: () => void;
    try {
      release = await acquireStoreLock(directory, waitMs);
    } catch (error) {
      throw fsError('WAREHOUSE_STORE', error, directory, 'open the embedded warehouse at');
    }
    let session: ChdbSession;
    for (;;) {
      try {
        const { Session } = await import('chdb');
        session = new Session(directory);
        break;
      } catch (error) {
        const text = `${(error as Error).message} ${String((error as Error).cause ?? '')}`;
        const locked = /Cannot lock file|Failed to create connection/.test(text);
        // chDB's own lock is the last word: a process that skipped dema.lock still holds it.
        if (locked && Date.now() - started < waitMs) {
          await new Promise((done) => setTimeout(done, 200));
          continue;
        }
        release();
        if (locked) throw lockedError(directory, undefined);
        throw new DemaError(
          'WAREHOUSE_CONNECT',
          `Cannot open the embedded warehouse at ${directory}: ${text}`,
          {
            cause: error,
          },
        );
      }
    }
    const version = session.query('SELECT version()', 'TSV').trim();
    const warehouse = new ChdbWarehouse(session, release, { ...options, path: directory }, version);
    await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(options.database)}`);
    // The session keeps this as the current database for unqualified names.
    await warehouse.command(`USE ${quoteIdent(options.database)}`);
    const settings = { ...standardSessionSettings(warehouse.capabilities), ...options.settings };
    for (const [name, value] of Object.entries(settings))
      await warehouse.command(`SET ${settingsClause({ [name]: value }).replace(/^ SETTINGS /, '')}`);
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

  querySync<Row>(sql: string): Row[] {
    try {
      return parseJsonLines<Row>(this.session.query(sql, 'JSONEachRow'));
    } catch (error) {
      throw toWarehouseError(error, sql);
    }
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

  /**
   * Streams the bytes through a named pipe into `INSERT … SELECT FROM file()`: chDB's own parallel
   * CSV parser reads while this thread produces, one INSERT in all. This measured 1.5× faster than
   * handing chDB chunk after chunk (each its own INSERT, sort and part).
   */
  async insertBytes(insert: ByteInsert): Promise<StatementStats> {
    const database = insert.database ?? this.database;
    const structure = await this.structureOf(database, insert.table, insert.columns);
    const started = performance.now();
    const input = await startOf(insert.chunks);
    const scratch = privateDir();
    const fifo = join(scratch.dir, `${randomBytes(6).toString('hex')}.fifo`);
    const sql = `INSERT INTO ${qualified(database, insert.table)} (${insert.columns.map(quoteIdent).join(', ')}) SELECT * FROM file(${quoteString(fifo)}, ${quoteString(insert.format)}, ${quoteString(structure)})${settingsClause({ ...insert.settings, storage_file_read_method: 'read', ...testInsertSettings() })}`;
    try {
      if ('whole' in input) writeFileSync(fifo, input.whole, { mode: 0o600 });
      else execFileSync('mkfifo', ['-m', '600', fifo]);
    } catch (error) {
      scratch.remove();
      throw error;
    }
    if ('whole' in input) {
      try {
        await this.run(sql, 'TSV');
      } finally {
        scratch.remove();
      }
      return { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: performance.now() - started };
    }
    const writer = createWriteStream(fifo);
    let failed: unknown;
    // One listener for the whole insert (a write error also closes the stream, which ends a wait).
    writer.on('error', (error) => {
      failed ??= error;
    });
    const running = this.session.queryAsync(sql, { format: 'TSV' }).catch((error: unknown) => {
      failed = toWarehouseError(error, sql);
      // Unblock a writer still waiting for a reader, so the loop below sees the failure.
      void open(fifo, constants.O_RDONLY | constants.O_NONBLOCK).then(
        (handle) => handle.close(),
        () => {},
      );
      writer.destroy();
    });
    try {
      for await (const chunk of chain(input.head, input.rest)) {
        if (failed) break;
        if (!writer.write(chunk) && !writer.closed) await firstOf(writer, ['drain', 'close']);
      }
      if (!failed) {
        writer.end();
        if (!writer.closed) await firstOf(writer, ['finish', 'close']);
      }
    } catch (error) {
      if (!failed) failed = error;
    } finally {
      writer.destroy();
      await running;
      scratch.remove();
    }
    if (failed) throw failed;
    return { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: performance.now() - started };
  }

  /** file()'s structure argument: the columns with the target table's types. */
  private async structureOf(database: string, table: string, columns: readonly string[]): Promise<string> {
    const types = new Map(
      (await this.listColumns(database, table)).map((column) => [column.name, column.type]),
    );
    return columns.map((name) => `${quoteIdent(name)} ${types.get(name) ?? 'String'}`).join(', ');
  }

  async insertFile(insert: FileInsert): Promise<StatementStats> {
    const database = insert.database ?? this.database;
    const structure = await this.structureOf(database, insert.table, insert.columns);
    const target = [insert.rowNumberColumn, ...insert.columns].map(quoteIdent).join(', ');
    // _row_number is the record's index as the format reader counts it, whatever order the insert
    // threads take blocks in; parallel parsing is off because with it chDB 26.7 skips numbers.
    // file() reads its path as a glob pattern, with no escape: `a{b}.csv` would load `ab.csv`. The
    // engine reads the file through a symbolic link with a plain name instead, so a path is literal.
    const scratch = privateDir();
    const literal = join(scratch.dir, 'source');
    const sql = `INSERT INTO ${qualified(database, insert.table)} (${target}) SELECT _row_number + ${Math.trunc(insert.firstRowNumber)}, * FROM file(${quoteString(literal)}, ${quoteString(insert.format)}, ${quoteString(structure)})${settingsClause({ ...insert.settings, input_format_parallel_parsing: 0, ...testInsertSettings() })}`;
    const started = performance.now();
    try {
      symlinkSync(resolve(insert.path), literal);
      await this.run(sql, 'TSV');
    } finally {
      scratch.remove();
    }
    return { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: performance.now() - started };
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
