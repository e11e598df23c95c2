import { formatDateTime, qualified, quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { Reject } from './csv-scanner.ts';
import { REJECTS_TABLE } from './landing-sql.ts';

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
    (r) => `${prefix},${r.line},${csvQuote(r.reason)},${csvQuote(r.raw)},${csvQuote(now)}\n`,
  );
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < lines.length; i += 10_000) yield Buffer.from(lines.slice(i, i + 10_000).join(''));
  }
  await warehouse.insertBytes({
    database: warehouse.database,
    table: REJECTS_TABLE,
    columns: ['load_id', 'source', 'merchant', 'source_file', 'line', 'reason', 'raw', 'rejected_at'],
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
  readonly reason: string;
  readonly raw: string;
}

export async function listRejects(
  warehouse: Warehouse,
  loadId: string | undefined,
  limit: number,
): Promise<RejectRow[]> {
  const where = loadId ? `WHERE load_id = ${quoteString(loadId)}` : '';
  const { rows } = await warehouse.query<RejectRow>(
    `SELECT load_id, source, merchant, source_file, toUInt64(line) AS line, reason, raw FROM ${qualified(warehouse.database, REJECTS_TABLE)} ${where} ORDER BY rejected_at DESC, load_id, line LIMIT ${limit}`,
  );
  return rows.map((row) => ({ ...row, line: Number(row.line) }));
}
