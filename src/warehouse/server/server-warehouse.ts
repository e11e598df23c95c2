import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { DemaError, errorMessage } from '../../errors.ts';
import { testInsertSettings } from '../../kill-point.ts';
import { type Capabilities, capabilitiesFor, standardSessionSettings } from '../capabilities.ts';
import { ClickHouseError, parseClickHouseError, toWarehouseError } from '../clickhouse-error.ts';
import { listColumns, listTables } from '../introspection.ts';
import { qualified, quoteIdent } from '../sql.ts';
import type {
  ByteInsert,
  ColumnInfo,
  QueryResult,
  Settings,
  StatementStats,
  TableInfo,
  Warehouse,
} from '../warehouse.ts';
import { pingServer } from './ping.ts';
import { acquireServerLock, type ServerLock } from './server-lock.ts';

const SYNC_QUERY_SCRIPT = `
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, user, password, sql } = JSON.parse(input);
const response = await fetch(url, {
  method: 'POST',
  body: sql,
  headers: { 'X-ClickHouse-User': user, 'X-ClickHouse-Key': password },
});
const body = await response.text();
if (!response.ok) { process.stderr.write(body); process.exit(1); }
process.stdout.write(body);
`;

/**
 * The server quotes (U)Int64 in JSON formats by default; chDB answers them as numbers. Both
 * transports must hand core code the same rows (run_query's tables, show's JSON), so the server
 * answers numbers too (values beyond 2^53 lose precision on both alike: SQL that needs them exact
 * reads them through toString).
 */
const JSON_64BIT_AS_NUMBERS = { output_format_json_quote_64bit_integers: 0 } as const;

/** Concurrent HTTP inserts for one unordered byte insert. */
const INSERT_CONNECTIONS = 2;

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly requestTimeoutMs: number;
  /** How long a ping may take before the connect fails (default 5000). */
  readonly connectTimeoutMs?: number;
  readonly settings: Settings;
  /** Take the warehouse lock (server-lock.ts), waiting this long for it; undefined: no lock. */
  readonly lockWaitMs?: number;
}

/** Replaces every occurrence of a secret in text, so no error or log line can carry it. */
function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}

// A failure that happens after the server started streaming arrives inside a 200 body; the
// exception text is then the last thing in it. Never treat such a body as a result.
function throwIfBodyHasException(body: string, sql: string): void {
  const tail = body.slice(-4096);
  if (!/Code:\s*\d+[.,]/.test(tail)) return;
  const parsed = parseClickHouseError(tail.slice(tail.search(/Code:\s*\d+[.,]/)), sql);
  if (parsed) throw parsed;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/** Decided by the system error code (on the error or its cause); the client's own timeout error carries none. */
function isConnectionFailure(error: unknown): boolean {
  const codes = [error, (error as { cause?: unknown })?.cause].map(
    (e) => (e as NodeJS.ErrnoException | undefined)?.code,
  );
  if (codes.some((code) => code !== undefined && CONNECTION_CODES.has(code))) return true;
  return error instanceof Error && error.message === 'Timeout error.';
}

/** A ClickHouse server over HTTP through @clickhouse/client. */
export class ServerWarehouse implements Warehouse {
  readonly transport = 'server' as const;
  readonly database: string;
  readonly capabilities: Capabilities;
  readonly description: string;
  private readonly client: ClickHouseClient;
  private readonly password: string;
  private readonly options: ServerOptions;
  private lock: ServerLock | undefined;

  private constructor(client: ClickHouseClient, options: ServerOptions, version: string) {
    this.client = client;
    this.password = options.password;
    this.options = options;
    this.database = options.database;
    this.capabilities = capabilitiesFor(version);
    this.description = `ClickHouse server ${version} at ${options.host}:${options.port} as ${options.user}`;
  }

  static async connect(options: ServerOptions): Promise<ServerWarehouse> {
    const url = `${options.secure ? 'https' : 'http'}://${options.host}:${options.port}`;
    await pingServer(url, options.connectTimeoutMs ?? 5_000);
    const makeClient = (database: string, defaults: Settings = {}) =>
      createClient({
        url,
        database,
        username: options.user,
        password: options.password,
        request_timeout: options.requestTimeoutMs,
        application: 'dema',
        // Core code never prints; failures reach the caller as typed errors instead.
        log: { level: ClickHouseLogLevel.OFF },
        // The server buffers the whole result before answering, so a failure becomes an HTTP error
        // instead of an exception appended to a 200 body.
        clickhouse_settings: {
          wait_end_of_query: 1,
          ...JSON_64BIT_AS_NUMBERS,
          ...defaults,
          ...options.settings,
        },
      });
    // The target database may not exist yet: create it through a client bound to `default`.
    let client = makeClient('default');
    let version: string;
    try {
      const result = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      version = ((await result.json()) as { v: string }[])[0]?.v ?? '0';
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(options.database)}` });
      await client.close();
      // Standard-SQL defaults exist only from some version on: known now, the target's settings win.
      client = makeClient(options.database, standardSessionSettings(capabilitiesFor(version)));
    } catch (error) {
      await client.close();
      const parsed = toWarehouseError(error);
      const message = redact(errorMessage(error), options.password);
      if (parsed instanceof ClickHouseError) throw parsed;
      throw new DemaError('WAREHOUSE_CONNECT', `Cannot reach ClickHouse at ${url}: ${message}`, {
        hint: 'Is the server running? Check CLICKHOUSE_HOST / CLICKHOUSE_PORT (or the target in dema.yml).',
      });
    }
    const warehouse = new ServerWarehouse(client, options, version);
    if (options.lockWaitMs !== undefined) {
      try {
        warehouse.lock = await acquireServerLock(warehouse, { waitMs: options.lockWaitMs });
      } catch (error) {
        await client.close();
        throw error;
      }
    }
    return warehouse;
  }

  async checkLock(): Promise<void> {
    await this.lock?.check();
  }

  private fail(error: unknown, sql: string): never {
    const wrapped = toWarehouseError(error, sql);
    wrapped.message = redact(wrapped.message, this.password);
    if (!(wrapped instanceof ClickHouseError) && isConnectionFailure(error)) {
      throw new DemaError('WAREHOUSE_CONNECT', `Lost the connection to ClickHouse: ${wrapped.message}`, {
        hint: 'The server stopped or the network dropped; re-run when it is back.',
        cause: error,
      });
    }
    throw wrapped;
  }

  async query<Row>(sql: string, settings?: Settings): Promise<QueryResult<Row>> {
    const started = performance.now();
    const text = await this.queryText(sql, 'JSONEachRow', settings);
    const rows: Row[] = [];
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as Row);
    return {
      rows,
      stats: { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: performance.now() - started },
    };
  }

  querySync<Row>(sql: string): Row[] {
    const { host, port, secure, user, password, database } = this.options;
    const request = JSON.stringify({
      url: `${secure ? 'https' : 'http'}://${host}:${port}/?database=${encodeURIComponent(database)}&default_format=JSONEachRow&output_format_json_quote_64bit_integers=${JSON_64BIT_AS_NUMBERS.output_format_json_quote_64bit_integers}`,
      user,
      password,
      sql,
    });
    let text: string;
    try {
      // The password travels on stdin, never in the helper's argv.
      text = execFileSync(process.execPath, ['--input-type=module', '-e', SYNC_QUERY_SCRIPT], {
        input: request,
        encoding: 'utf8',
        timeout: this.options.requestTimeoutMs,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? errorMessage(error));
      this.fail(new Error(stderr.trim()), sql);
    }
    throwIfBodyHasException(text, sql);
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Row);
  }

  async queryText(sql: string, format: string, settings?: Settings): Promise<string> {
    try {
      const result = await this.client.query({
        query: sql,
        format: format as 'JSONEachRow',
        ...(settings ? { clickhouse_settings: settings } : {}),
      });
      const body = await result.text();
      throwIfBodyHasException(body, sql);
      return body;
    } catch (error) {
      this.fail(error, sql);
    }
  }

  async command(sql: string, settings?: Settings): Promise<StatementStats> {
    const started = performance.now();
    try {
      const result = await this.client.command({
        query: sql,
        ...(settings ? { clickhouse_settings: settings } : {}),
      });
      const summary = result.summary;
      return {
        rowsRead: Number(summary?.read_rows ?? 0),
        bytesRead: Number(summary?.read_bytes ?? 0),
        rowsWritten: Number(summary?.written_rows ?? 0),
        elapsedMs: performance.now() - started,
      };
    } catch (error) {
      this.fail(error, sql);
    }
  }

  async insertBytes(insert: ByteInsert): Promise<StatementStats> {
    const started = performance.now();
    const sql = `INSERT INTO ${qualified(insert.database, insert.table)} FORMAT ${insert.format}`;
    // Unordered whole-record chunks go over two connections at once: a server parses each insert's
    // CSV on one thread, so two inserts use two cores (measured: see bench).
    const streams = insert.unordered && insert.format === 'CSV' ? INSERT_CONNECTIONS : 1;
    const source = insert.chunks[Symbol.asyncIterator]();
    const abort = new AbortController();
    const pull = async function* () {
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    };
    const send = async () => {
      const result = await this.client.insert({
        table: insert.database
          ? `${quoteIdent(insert.database)}.${quoteIdent(insert.table)}`
          : quoteIdent(insert.table),
        values: Readable.from(pull(), { objectMode: false }),
        format: insert.format,
        columns: insert.columns as [string, ...string[]],
        abort_signal: abort.signal,
        clickhouse_settings: { ...insert.settings, ...testInsertSettings() },
      });
      return Number(result.summary?.written_rows ?? 0);
    };
    try {
      const written = await Promise.all(
        Array.from({ length: streams }, () =>
          send().catch((error: unknown) => {
            abort.abort();
            throw error;
          }),
        ),
      );
      return {
        rowsRead: 0,
        bytesRead: 0,
        rowsWritten: written.reduce((a, b) => a + b, 0),
        elapsedMs: performance.now() - started,
      };
    } catch (error) {
      this.fail(error, sql);
    }
  }

  listTables(database: string): Promise<TableInfo[]> {
    return listTables((sql) => this.query(sql), database);
  }

  listColumns(database: string, table: string): Promise<ColumnInfo[]> {
    return listColumns((sql) => this.query(sql), database, table);
  }

  async close(): Promise<void> {
    try {
      await this.lock?.release();
    } finally {
      await this.client.close();
    }
  }
}
