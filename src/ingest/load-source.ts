import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SourceConfig } from '../config/dema-config.ts';
import { DemaError, errorMessage } from '../errors.ts';
import type { Reporter } from '../events.ts';
import { killPoint } from '../kill-point.ts';
import { qualified } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { countStaged, loadCleanFile } from './clean-file.ts';
import { CsvRecordScanner, DEFAULT_RECORD_LIMITS, type RecordLimits, type Reject } from './csv-scanner.ts';
import { countExceeded, describeBudget, type ErrorBudget, overBudget } from './error-budget.ts';
import {
  createLandingSql,
  createLedgerSql,
  createStageSql,
  csvInsertSettings,
  type LandingSpec,
  METADATA_COLUMNS,
  stageTableName,
} from './landing-sql.ts';
import { type LoadRecord, listLoads, newLoadRecord, writeLoadRecord } from './ledger.ts';
import type { SourceFile } from './open-source.ts';
import { publishLoad } from './publish.ts';
import { checkHeader, readHeader } from './read-header.ts';
import { ensureRejectsTable, writeRejects } from './rejects.ts';

export interface LoadOptions extends ErrorBudget {
  readonly force: boolean;
  readonly location: string;
  readonly chunkBytes?: number;
  /** How far one record may reach (max_record_lines / max_record_bytes). */
  readonly recordLimits?: RecordLimits;
}

export type LoadResult =
  | { readonly status: 'skipped'; readonly source: string; readonly previous: LoadRecord }
  | { readonly status: 'success'; readonly source: string; readonly record: LoadRecord };

async function ensureTables(warehouse: Warehouse, spec: LandingSpec): Promise<void> {
  await warehouse.command(createLedgerSql(warehouse.database));
  await ensureRejectsTable(warehouse);
  await warehouse.command(createLandingSql(spec));
  const existing = (await warehouse.listColumns(spec.database, spec.table)).map((column) => column.name);
  const wanted = [...spec.columns, ...METADATA_COLUMNS];
  if (existing.join(',') !== wanted.join(',')) {
    throw new DemaError(
      'INGEST_LOAD',
      `Landing table ${spec.database}.${spec.table} has columns (${existing.join(', ')}), but the source declares (${wanted.join(', ')}).`,
      {
        hint: 'The declared columns changed: rename the old table (or point the source at a new table) and re-load.',
      },
    );
  }
}

async function dropStage(warehouse: Warehouse, table: string): Promise<void> {
  await warehouse.command(`DROP TABLE IF EXISTS ${qualified(warehouse.database, table)}`);
}

const REJECT_FLUSH = 10_000;
/** Rejects keep up to 64 KiB of raw text each: flush by size too, so long bad lines cannot fill memory. */
const REJECT_FLUSH_CHARS = 16 << 20;

/**
 * Loads one source file into its landing table, exactly once: rows go to a per-load stage table
 * and become visible in one ATTACH PARTITION, so a failed or killed load leaves nothing half
 * visible; a re-run starts over; the same file twice adds nothing. Every row read is either loaded
 * or in the rejects table with its line and reason, and the staged count is checked against it.
 */
export async function loadSource(
  warehouse: Warehouse,
  source: SourceConfig,
  file: SourceFile,
  options: LoadOptions,
  reporter: Reporter,
): Promise<LoadResult> {
  const spec: LandingSpec = {
    database: warehouse.database,
    table: source.table,
    columns: source.columns,
    key: source.key,
  };
  // Loads of dead processes were finished or undone when the command started (publish.ts).
  await ensureTables(warehouse, spec);
  if (!options.force) {
    // Only a file of a size loaded before can be a repeat: its hash is awaited for those alone.
    const sameSize = (
      await listLoads(warehouse, { source: source.name, merchant: source.merchant, status: 'success' })
    ).filter((load) => Number(load.bytes) === file.bytes);
    const sha256 = sameSize.length > 0 ? (await file.archived).sha256 : undefined;
    const previous = sameSize.find((load) => load.sha256 === sha256);
    if (previous && sha256) {
      reporter.emit({
        type: 'load.skipped',
        source: source.name,
        merchant: source.merchant,
        sha256,
        previousLoadId: previous.load_id,
      });
      return { status: 'skipped', source: source.name, previous };
    }
  }

  const header = await readHeader(file.path);
  checkHeader(file.path, source.name, source.columns, header.names);

  const started = Date.now();
  const loadId = randomUUID();
  const stage = stageTableName(source.table, loadId);
  let record = newLoadRecord({
    load_id: loadId,
    source: source.name,
    merchant: source.merchant,
    landing_table: source.table,
    location: options.location,
    archive_path: '',
    sha256: '',
    bytes: file.bytes,
    rows_read: 0,
    rows_loaded: 0,
    rows_rejected: 0,
    started_at: started / 1000,
  });
  await writeLoadRecord(warehouse, record);
  killPoint('load.started');
  reporter.emit({
    type: 'load.start',
    source: source.name,
    merchant: source.merchant,
    loadId,
    bytes: file.bytes,
  });

  // Rejects are written in batches as they are found, so a file of bad rows cannot fill memory.
  let pending: Reject[] = [];
  let pendingChars = 0;
  const firstRejects: Reject[] = [];
  let rejected = 0;
  let good = 0;
  let stoppedEarly = false;
  const rejectContext = {
    loadId,
    source: source.name,
    merchant: source.merchant,
    sourceFile: file.name,
  };
  const addRejects = async (found: readonly Reject[]) => {
    rejected += found.length;
    pending.push(...found);
    if (firstRejects.length < 3) firstRejects.push(...found.slice(0, 3 - firstRejects.length));
    pendingChars += found.reduce((n, r) => n + r.raw.length, 0);
    if (pending.length >= REJECT_FLUSH || pendingChars >= REJECT_FLUSH_CHARS) {
      pendingChars = 0;
      const batch = pending;
      pending = [];
      await writeRejects(warehouse, batch, rejectContext);
    }
  };
  try {
    await warehouse.command(
      createStageSql(spec, stage, {
        merchant: source.merchant,
        loadId,
        sourceFile: file.name,
        loadedAt: Math.floor(started / 1000),
        version: BigInt(started) * 1000n + BigInt(Math.floor(Math.random() * 1000)),
      }),
    );
    killPoint('stage.created');
    // Embedded engine, clean file: loaded by ClickHouse's own parser while dema checks it.
    const direct = await loadCleanFile({
      warehouse,
      path: file.path,
      dataOffset: header.dataOffset,
      stage,
      columns: source.columns,
      settings: csvInsertSettings(warehouse.capabilities),
      facts: file.archived,
      limits: options.recordLimits ?? DEFAULT_RECORD_LIMITS,
    });
    if (direct !== undefined) good = direct;
    else {
      const scanner = new CsvRecordScanner(source.columns.length, 2, {
        ...options.recordLimits,
        firstOffset: header.dataOffset,
      });
      let bytesDone = header.dataOffset;
      async function* scannedChunks(): AsyncGenerator<Buffer> {
        const stream = createReadStream(file.path, {
          start: header.dataOffset,
          highWaterMark: options.chunkBytes ?? 16 << 20,
        });
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const output = scanner.push(chunk);
          good += output.goodRecords;
          await addRejects(output.rejects);
          bytesDone += chunk.length;
          reporter.emit({
            type: 'load.progress',
            source: source.name,
            bytesDone,
            bytesTotal: file.bytes,
            rows: good,
            rejected,
          });
          // A count budget already blown cannot recover: stop reading (nothing will land).
          if (countExceeded(rejected, options)) {
            stoppedEarly = true;
            return;
          }
          yield* output.chunks;
        }
        const output = scanner.end();
        good += output.goodRecords;
        await addRejects(output.rejects);
        yield* output.chunks;
      }
      await warehouse.insertBytes({
        database: warehouse.database,
        table: stage,
        columns: ['_line', ...source.columns],
        format: 'CSV',
        chunks: scannedChunks(),
        // Every row carries its line number, so chunks may land in any order.
        unordered: true,
        settings: csvInsertSettings(warehouse.capabilities),
      });
    }
    killPoint('stage.loaded');
    const read = good + rejected;
    await writeRejects(warehouse, pending, rejectContext);
    pending = [];
    if (overBudget(rejected, read, options)) {
      const first = firstRejects.map((r) => `line ${r.line}: ${r.reason}`).join('; ');
      // Says what was read and rejected, and that nothing landed (the good rows were not loaded).
      throw new DemaError(
        'INGEST_ERROR_BUDGET',
        `Source "${source.name}": ${rejected} of ${read} rows read were rejected${stoppedEarly ? ' (reading stopped once the count was exceeded)' : ''}, over the error budget (${describeBudget(options)}); nothing was loaded. First: ${first}.`,
        {
          hint: `See them with: dema rejects --load ${loadId}; fix the file, or raise max_rejects / max_reject_ratio in dema.yml to accept them.`,
        },
      );
    }
    // The clean-file path has already matched the staged count against the file's lines.
    const stagedRows = direct === undefined ? await countStaged(warehouse, stage) : good;
    if (stagedRows !== good) {
      throw new DemaError(
        'INGEST_LOAD',
        `Source "${source.name}": sent ${good} rows but ${stagedRows} were staged.`,
        {
          hint: 'Rows were lost between dema and ClickHouse; nothing was loaded. Please report this with the file.',
        },
      );
    }
    // Nothing is published from a file that changed while it was read.
    const archived = await file.settled();
    record = await publishLoad(warehouse, {
      ...record,
      archive_path: archived.path,
      sha256: archived.sha256,
      rows_read: read,
      rows_loaded: good,
      rows_rejected: rejected,
    });
    // publishLoad marks a load whose stage vanished before ATTACH failed (nothing of it published).
    if (record.status !== 'success')
      throw new DemaError(
        'INGEST_LOAD',
        `Load ${loadId} of "${source.name}" was not published: ${record.error ?? 'its stage table is gone'}.`,
        {
          hint: 'Nothing of it is shown; run the ingest again (another process may have dropped the stage).',
        },
      );
    reporter.emit({
      type: 'load.done',
      source: source.name,
      merchant: source.merchant,
      loadId,
      rowsRead: read,
      rowsLoaded: good,
      rowsRejected: rejected,
      elapsedMs: Date.now() - started,
    });
    return { status: 'success', source: source.name, record };
  } catch (error) {
    // Committed: the load is rolled forward, never failed (publish.ts), and its stage is kept.
    if (error instanceof DemaError && error.code === 'INGEST_PUBLISH_PENDING') throw error;
    // Best effort: the warehouse may be the thing that failed. A later run marks the load failed
    // (its process is gone) and drops the stage table if these do not get through.
    // The raw copy is kept even when the load fails (and the process must not exit mid-copy).
    const archived = await file.archived.catch(() => undefined);
    const failed: LoadRecord = {
      ...record,
      archive_path: archived?.path ?? '',
      sha256: archived?.sha256 ?? '',
      status: 'failed',
      rows_read: good + rejected,
      rows_rejected: rejected,
      finished_at: Date.now() / 1000,
      error: errorMessage(error).slice(0, 2000),
    };
    await dropStage(warehouse, stage).catch(() => {});
    await writeLoadRecord(warehouse, failed).catch(() => {});
    throw error;
  }
}
