import { createReadStream } from 'node:fs';
import type { Reporter } from '../events.ts';
import { qualified } from '../warehouse/sql.ts';
import type { Settings, Warehouse } from '../warehouse/warehouse.ts';
import { CsvRecordScanner } from './csv-scanner.ts';

/**
 * The fast path for the common case on the embedded engine: a clean file (every record one good
 * line). ClickHouse loads it straight from the archived file with its own parallel parser while
 * dema checks every record; if the check finds anything — a bad row, a record spanning lines, a
 * byte-order mark — the stage is emptied and the caller takes the scanning path instead.
 */

export interface CleanFileLoad {
  readonly warehouse: Warehouse;
  readonly path: string;
  readonly dataOffset: number;
  readonly bytes: number;
  readonly stage: string;
  readonly source: string;
  readonly columns: readonly string[];
  readonly settings: Settings;
  readonly reporter: Reporter;
}

/** Resolves to the number of rows loaded, or undefined when the file is not clean (stage left empty). */
export async function loadCleanFile(load: CleanFileLoad): Promise<number | undefined> {
  const { warehouse } = load;
  if (!warehouse.insertFile || load.dataOffset === 0) return undefined;
  const inserted = warehouse
    .insertFile({
      table: load.stage,
      database: warehouse.database,
      path: load.path,
      format: 'CSVWithNames',
      columns: load.columns,
      rowNumberColumn: '_line',
      firstRowNumber: 2,
      settings: load.settings,
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  const records = await checkClean(load);
  const failure = await inserted;
  if (records !== undefined && failure === undefined) return records;
  await warehouse.command(`TRUNCATE TABLE ${qualified(warehouse.database, load.stage)}`);
  return undefined;
}

/** Counts the records if every one is a single good line; undefined at the first that is not. */
async function checkClean(load: CleanFileLoad): Promise<number | undefined> {
  const scanner = new CsvRecordScanner(load.columns.length, 2, { emit: false });
  const stream = createReadStream(load.path, { start: load.dataOffset, highWaterMark: 16 << 20 });
  let records = 0;
  let bytesDone = load.dataOffset;
  let first = true;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (first && load.dataOffset === 0 && chunk[0] === 0xef) return undefined;
    first = false;
    const output = scanner.push(chunk);
    records += output.goodRecords;
    bytesDone += chunk.length;
    if (output.rejects.length > 0 || scanner.linesScanned !== records) {
      stream.destroy();
      return undefined;
    }
    load.reporter.emit({
      type: 'load.progress',
      source: load.source,
      bytesDone,
      bytesTotal: load.bytes,
      rows: records,
      rejected: 0,
    });
  }
  const output = scanner.end();
  records += output.goodRecords;
  if (output.rejects.length > 0 || scanner.linesScanned !== records) return undefined;
  return records;
}
