import { qualified } from '../warehouse/sql.ts';
import type { Settings, Warehouse } from '../warehouse/warehouse.ts';
import type { RecordLimits } from './csv-scanner.ts';
import { type ByteFacts, dataLines } from './inspect-bytes.ts';

/**
 * Settings for loading a file with ClickHouse's own parser, measured on 10M lines (1.2 GB) on two
 * cores: two insert threads sort and write blocks side by side (11–14 s → 7 s); 64k-row blocks
 * keep their memory small (256k-row blocks with two threads peaked at 1.1 GB, these at 0.83 GB);
 * `pread` instead of chDB's default `mmap` keeps the file out of the process's resident memory
 * (it alone was 1.1 GB of the peak).
 */
export const FILE_LOAD_SETTINGS = {
  max_insert_threads: 2,
  min_insert_block_size_rows: 65_536,
  min_insert_block_size_bytes: 16 << 20,
  max_insert_block_size: 65_536,
  storage_file_read_method: 'pread',
} as const;

/**
 * The fast path for the common case on the embedded engine: a clean file (every record one good
 * line). ClickHouse loads it straight from the file with its own parser while the archive's pass
 * over the same bytes checks what the parser cannot; if anything is off — the insert fails on a
 * bad row, invalid UTF-8, a line the parser would read otherwise than the scanner's rule (not
 * plain: plain-lines.ts), a line over max_record_bytes — the stage is emptied and the caller takes
 * the scanning path, which rejects or re-quotes what needs it. So a row lands the same either way.
 */

export interface CleanFileLoad {
  readonly warehouse: Warehouse;
  readonly path: string;
  readonly dataOffset: number;
  readonly stage: string;
  readonly columns: readonly string[];
  readonly settings: Settings;
  /** The file's sha256, line feeds and UTF-8 check, from the archive's pass over the same bytes. */
  readonly facts: Promise<ByteFacts>;
  readonly limits: RecordLimits;
}

/** Resolves to the number of rows loaded, or undefined when the file is not clean (stage left empty). */
export async function loadCleanFile(load: CleanFileLoad): Promise<number | undefined> {
  const { warehouse } = load;
  if (!warehouse.insertFile || load.dataOffset === 0) return undefined;
  // Parts are merged later, in the landing table: merging them in the stage as well doubled the
  // load's time (7 s → 14 s on 10M lines) and added ~200 MB, for a table that lives only until
  // the ATTACH.
  await warehouse.command(`SYSTEM STOP MERGES ${qualified(warehouse.database, load.stage)}`);
  const inserted = warehouse
    .insertFile({
      table: load.stage,
      database: warehouse.database,
      path: load.path,
      format: 'CSVWithNames',
      columns: load.columns,
      rowNumberColumn: '_line',
      firstRowNumber: 2,
      settings: { ...load.settings, ...FILE_LOAD_SETTINGS },
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  const facts = await load.facts.catch(() => undefined);
  const clean = facts?.utf8 && facts.plain && facts.longestLine <= load.limits.maxRecordBytes;
  const lines = clean ? dataLines(facts) : undefined;
  const failure = await inserted;
  if (lines !== undefined && failure === undefined) {
    if ((await countStaged(warehouse, load.stage)) === lines) return lines;
  }
  await warehouse.command(`TRUNCATE TABLE ${qualified(warehouse.database, load.stage)}`);
  return undefined;
}

export async function countStaged(warehouse: Warehouse, stage: string): Promise<number> {
  const { rows } = await warehouse.query<{ n: string }>(
    `SELECT count() AS n FROM ${qualified(warehouse.database, stage)}`,
  );
  return Number(rows[0]?.n ?? 0);
}
