import { ClickHouseError, toWarehouseError } from '../warehouse/clickhouse-error.ts';
import { quoteIdent } from '../warehouse/sql.ts';
import type { Settings, Warehouse } from '../warehouse/warehouse.ts';

/** A reader's statement that runs longer is stopped (TIMEOUT_EXCEEDED): one runaway query must not hold the engine. */
export const DEFAULT_MAX_EXECUTION_SECONDS = 60;

/** Refused while the warehouse is handed over to a scheduled run (HTTP 503). */
export class EnginePaused extends Error {}

/**
 * The app's only way to the warehouse: one statement at a time (the embedded session is one
 * connection and `USE` is session state), always with `readonly = 1` in force.
 *
 * Invariant: before the first request is served, the engine itself refuses writes. On a session
 * that keeps settings (chDB) `SET readonly = 1` holds for the life of the process and the engine
 * forbids changing it back; where it does not persist (a server over HTTP), every query carries it.
 * A scheduled run takes the warehouse with `release` (after the statements in flight) and gives a
 * new one back with `reopen`, which makes it read-only the same way before the next statement.
 */
export class ReadonlyEngine {
  private tail: Promise<unknown> = Promise.resolve();
  private paused: string | undefined;

  private constructor(
    private warehouse: Warehouse,
    private perQuery: Settings,
    private readonly maxExecutionSeconds: number,
  ) {}

  get database(): string {
    return this.warehouse.database;
  }

  /**
   * Statements run one at a time, so a statement that never ends (from any client: a browser page
   * can POST to loopback) would hold every page and client forever: each is stopped after
   * `maxExecutionSeconds`. Set before `readonly = 1`, which then forbids changing it.
   */
  static async open(
    warehouse: Warehouse,
    maxExecutionSeconds = DEFAULT_MAX_EXECUTION_SECONDS,
  ): Promise<ReadonlyEngine> {
    const limit = { max_execution_time: maxExecutionSeconds };
    // Old servers have no getSetting(); there the session cannot be checked, so every query carries it.
    const sessionReadonly = await warehouse
      .command(`SET max_execution_time = ${Number(maxExecutionSeconds)}`)
      .then(() => warehouse.command('SET readonly = 1'))
      .then(() =>
        warehouse.query<{ r: string | number; t: string | number }>(
          "SELECT getSetting('readonly') AS r, getSetting('max_execution_time') AS t",
        ),
      )
      .then(({ rows }) => Number(rows[0]?.r) === 1 && Number(rows[0]?.t) === maxExecutionSeconds)
      .catch(() => false);
    return new ReadonlyEngine(
      warehouse,
      sessionReadonly ? {} : { ...limit, readonly: 1 },
      maxExecutionSeconds,
    );
  }

  /**
   * Hands the warehouse over (the caller closes it) once the statements already queued have run;
   * until `reopen`, every statement is refused with `reason`.
   */
  release(reason: string): Promise<Warehouse> {
    return this.serialize(async () => {
      this.paused = reason;
      return this.warehouse;
    });
  }

  /** Takes a newly opened warehouse back, read-only as `open` makes it, and serves again. */
  async reopen(warehouse: Warehouse): Promise<void> {
    const fresh = await ReadonlyEngine.open(warehouse, this.maxExecutionSeconds);
    this.warehouse = fresh.warehouse;
    this.perQuery = fresh.perQuery;
    this.paused = undefined;
  }

  /** Runs one reading statement and returns its output in `format` (a FORMAT clause in the SQL wins). */
  text(sql: string, format: string, database?: string): Promise<string> {
    return this.serialize(async () => {
      if (this.paused !== undefined) throw new EnginePaused(this.paused);
      const switched = database !== undefined && database !== this.warehouse.database;
      if (switched) await this.warehouse.command(`USE ${quoteIdent(database)}`);
      try {
        return await this.warehouse.queryText(sql, format, this.perQuery);
      } finally {
        if (switched) await this.warehouse.command(`USE ${quoteIdent(this.warehouse.database)}`);
      }
    });
  }

  /** Rows of a reading statement, as JSON objects (numbers of 64-bit types may come as strings). */
  async rows<Row>(sql: string): Promise<Row[]> {
    const text = await this.text(sql, 'JSONEachRow');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Row);
  }

  /** The engine as the read side of a Warehouse (`query` only), for modules that read through one. */
  reader(): Pick<Warehouse, 'database' | 'query'> {
    return {
      database: this.warehouse.database,
      // Statistics are not read from here; the rows are what the readers want.
      query: async <Row>(sql: string) => ({
        rows: await this.rows<Row>(sql),
        stats: { rowsRead: 0, bytesRead: 0, rowsWritten: 0, elapsedMs: 0 },
      }),
    };
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => {});
    return run;
  }
}

/** A ClickHouse-style exception text and HTTP status for any error, as ClickHouse's HTTP handler sends. */
export function clickhouseErrorBody(error: unknown): { status: number; body: string } {
  if (error instanceof EnginePaused)
    return { status: 503, body: `Code: 1000. DB::Exception: ${error.message}. (SERVICE_PAUSED)\n` };
  const parsed = toWarehouseError(error);
  if (!(parsed instanceof ClickHouseError))
    return { status: 500, body: `Code: 1000. DB::Exception: ${parsed.message}. (POCO_EXCEPTION)\n` };
  // chDB nests "Code: N. DB::Exception:" prefixes; ClickHouse sends one.
  const message = parsed.message
    .replace(/^ClickHouse error \d+ \([A-Z0-9_]+\): /, '')
    .replace(/^(Code: \d+\. DB::Exception: )+/, '');
  // Old servers print no type name; 164 is the one this interface must always name.
  const type = parsed.clickhouseCode === 164 ? 'READONLY' : parsed.clickhouseType;
  return {
    status: statusFor(type),
    body: `Code: ${parsed.clickhouseCode}. DB::Exception: ${message} (${type})\n`,
  };
}

export function readonlyErrorBody(reason: string): { status: number; body: string } {
  return { status: 403, body: `Code: 164. DB::Exception: dema serve is read-only: ${reason}. (READONLY)\n` };
}

function statusFor(type: string): number {
  if (type === 'READONLY' || type === 'ACCESS_DENIED') return 403;
  if (type === 'UNKNOWN_TABLE' || type === 'UNKNOWN_DATABASE') return 404;
  if (type === 'SYNTAX_ERROR' || type === 'UNKNOWN_FORMAT' || type === 'UNKNOWN_IDENTIFIER') return 400;
  return 500;
}
