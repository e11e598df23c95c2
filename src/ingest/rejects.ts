import { formatDateTime, qualified, quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { Reject } from './csv-scanner.ts';
import { createRejectsSql, REJECTS_TABLE } from './landing-sql.ts';

/** Columns added after the rejects table was first released: where a record is, in lines and bytes. */
const LATER_COLUMNS = [
  ['last_line', 'UInt64'],
  ['byte_offset', 'UInt64'],
  ['byte_length', 'UInt64'],
] as const;

/** Creates the rejects table, or adds the columns an older dema did not write (18.16 has no ADD COLUMN IF NOT EXISTS). */
export async function ensureRejectsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.command(createRejectsSql(warehouse.database));
  const have = new Set((await warehouse.listColumns(warehouse.database, REJECTS_TABLE)).map((c) => c.name));
  for (const [name, type] of LATER_COLUMNS)
    if (!have.has(name))
      await warehouse.command(
        `ALTER TABLE ${qualified(warehouse.database, REJECTS_TABLE)} ADD COLUMN ${name} ${type}`,
      );
}

function csvQuote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Writes bad rows to the rejects table, as CSV bytes like every other insert. */
export async function writeRejects(
  warehouse: Warehouse,
  rejects: readonly Reject[],
  context: { loadId: string; source: string; merchant: string; sourceFile: string },
): Promise<void> {
  if (rejects.length === 0) return;
  const now = formatDateTime(new Date());
  const prefix = [context.loadId, context.source, context.merchant, context.sourceFile]
    .map(csvQuote)
    .join(',');
  const lines = rejects.map(
    (r) =>
      `${prefix},${r.line},${r.lastLine},${r.offset},${r.bytes},${csvQuote(r.reason)},${csvQuote(r.raw)},${csvQuote(now)}\n`,
  );
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < lines.length; i += 10_000) yield Buffer.from(lines.slice(i, i + 10_000).join(''));
  }
  await warehouse.insertBytes({
    database: warehouse.database,
    table: REJECTS_TABLE,
    columns: [
      'load_id',
      'source',
      'merchant',
      'source_file',
      'line',
      'last_line',
      'byte_offset',
      'byte_length',
      'reason',
      'raw',
      'rejected_at',
    ],
    format: 'CSV',
    chunks: chunks(),
    settings: { format_csv_allow_single_quotes: 0 },
  });
}

export interface RejectRow {
  readonly load_id: string;
  readonly source: string;
  readonly merchant: string;
  readonly source_file: string;
  readonly line: number;
  /** Last physical line of the record (0 when written by a dema before line ranges). */
  readonly last_line: number;
  /** The record's bytes in the archived copy (archive_path in the ledger). */
  readonly byte_offset: number;
  readonly byte_length: number;
  readonly reason: string;
  readonly raw: string;
}

export async function listRejects(
  warehouse: Warehouse,
  loadId: string | undefined,
  limit: number,
): Promise<RejectRow[]> {
  await ensureRejectsTable(warehouse);
  const where = loadId ? `WHERE load_id = ${quoteString(loadId)}` : '';
  const { rows } = await warehouse.query<RejectRow>(
    `SELECT load_id, source, merchant, source_file, toUInt64(line) AS line, toUInt64(last_line) AS last_line, toUInt64(byte_offset) AS byte_offset, toUInt64(byte_length) AS byte_length, reason, raw FROM ${qualified(warehouse.database, REJECTS_TABLE)} ${where} ORDER BY rejected_at DESC, load_id, line LIMIT ${limit}`,
  );
  return rows.map((row) => ({
    ...row,
    line: Number(row.line),
    last_line: Number(row.last_line),
    byte_offset: Number(row.byte_offset),
    byte_length: Number(row.byte_length),
  }));
}
