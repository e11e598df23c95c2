import { hostname } from 'node:os';
import { literal, qualified, quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { LEDGER_TABLE } from './landing-sql.ts';

/**
 * running → publishing → success, or running → failed. `publishing` is the publish's commit point
 * (see publish.ts): from there on the load is rolled forward, never back.
 */
export type LoadStatus = 'running' | 'publishing' | 'success' | 'failed';

export interface LoadRecord {
  readonly load_id: string;
  readonly source: string;
  readonly merchant: string;
  readonly landing_table: string;
  readonly location: string;
  readonly archive_path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly rows_read: number;
  readonly rows_loaded: number;
  readonly rows_rejected: number;
  readonly started_at: number;
  readonly finished_at: number;
  readonly status: LoadStatus;
  readonly error: string;
  readonly host: string;
  readonly pid: number;
}

const COLUMNS = [
  'load_id',
  'source',
  'merchant',
  'landing_table',
  'location',
  'archive_path',
  'sha256',
  'bytes',
  'rows_read',
  'rows_loaded',
  'rows_rejected',
  'started_at',
  'finished_at',
  'status',
  'error',
  'host',
  'pid',
  'revision',
] as const;

let lastRevision = 0n;
/** Strictly increasing per process: the newest ledger row of a load wins in ReplacingMergeTree. */
function nextRevision(): bigint {
  const now = BigInt(Date.now()) * 1000n;
  lastRevision = now > lastRevision ? now : lastRevision + 1n;
  return lastRevision;
}

export function newLoadRecord(
  fields: Omit<LoadRecord, 'host' | 'pid' | 'finished_at' | 'status' | 'error'>,
): LoadRecord {
  return { ...fields, host: hostname(), pid: process.pid, finished_at: 0, status: 'running', error: '' };
}

export async function writeLoadRecord(warehouse: Warehouse, record: LoadRecord): Promise<void> {
  const values = COLUMNS.map((column) => {
    if (column === 'revision') return nextRevision().toString();
    if (column === 'started_at' || column === 'finished_at')
      return `toDateTime(${Math.floor(record[column])}, 'UTC')`;
    return literal(record[column]);
  });
  await warehouse.command(
    `INSERT INTO ${qualified(warehouse.database, LEDGER_TABLE)} (${COLUMNS.join(', ')}) VALUES (${values.join(', ')})`,
  );
}

const SELECT_RECORD = `SELECT load_id, source, merchant, landing_table, location, archive_path, sha256,
  toUInt64(bytes) AS bytes, toUInt64(rows_read) AS rows_read, toUInt64(rows_loaded) AS rows_loaded,
  toUInt64(rows_rejected) AS rows_rejected, toUnixTimestamp(started_at) AS started_at,
  toUnixTimestamp(finished_at) AS finished_at, status, error, host, pid`;

function normalize(row: LoadRecord): LoadRecord {
  // JSON output quotes 64-bit integers; turn them back into numbers.
  return {
    ...row,
    bytes: Number(row.bytes),
    rows_read: Number(row.rows_read),
    rows_loaded: Number(row.rows_loaded),
    rows_rejected: Number(row.rows_rejected),
    started_at: Number(row.started_at),
    finished_at: Number(row.finished_at),
    pid: Number(row.pid),
  };
}

export async function listLoads(
  warehouse: Warehouse,
  filter: { source?: string; merchant?: string; status?: LoadStatus | readonly LoadStatus[] } = {},
  limit = 1000,
): Promise<LoadRecord[]> {
  const conditions = [
    filter.source ? `source = ${quoteString(filter.source)}` : '',
    filter.merchant ? `merchant = ${quoteString(filter.merchant)}` : '',
    filter.status
      ? `status IN (${(typeof filter.status === 'string' ? [filter.status] : filter.status).map(quoteString).join(', ')})`
      : '',
  ].filter(Boolean);
  const ledger = qualified(warehouse.database, LEDGER_TABLE);
  // Each load's newest row, picked explicitly: with FINAL, old servers may filter on status before
  // merging the versions of a row, and report a finished load as still running.
  const latest = `(load_id, revision) IN (SELECT load_id, max(revision) FROM ${ledger} GROUP BY load_id)`;
  const { rows } = await warehouse.query<LoadRecord>(
    `${SELECT_RECORD} FROM ${ledger} WHERE ${[latest, ...conditions].join(' AND ')} ORDER BY started_at DESC, load_id LIMIT 1 BY load_id LIMIT ${limit}`,
  );
  return rows.map(normalize);
}
