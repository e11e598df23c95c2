import { hostname } from 'node:os';
import { processAlive } from '../process-alive.ts';
import { literal, qualified, quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

/**
 * Run history in the warehouse: `_dema_runs` (one row per invocation) and `_dema_run_nodes` (one
 * row per dbt node or ingested source). Invariant: a run's row is written `running` before any work
 * and rewritten with its outcome after, both versions in a ReplacingMergeTree keyed by invocation
 * id with a strictly increasing revision, so a reader with FINAL sees the newest; a row still
 * `running` whose process is gone on this host reads as `interrupted`. Works on every transport:
 * plain INSERTs and FINAL reads only.
 */

export const RUNS_TABLE = '_dema_runs';
export const RUN_NODES_TABLE = '_dema_run_nodes';

export type RunStatus = 'running' | 'success' | 'error' | 'interrupted' | 'skipped';
export type RunTrigger = 'cli' | 'schedule';

export interface RunRecord {
  readonly invocation_id: string;
  readonly command: string;
  readonly args: string;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly error: string;
  /** Unix milliseconds (second resolution is too coarse to tell back-to-back runs apart). */
  readonly started_ms: number;
  readonly finished_ms: number;
  readonly host: string;
  readonly pid: number;
}

export interface RunNodeRecord {
  readonly invocation_id: string;
  readonly unique_id: string;
  readonly resource_type: string;
  readonly status: string;
  readonly started_ms: number;
  readonly finished_ms: number;
  readonly execution_time: number;
  readonly rows_written: number | null;
  readonly message: string;
  readonly failures: number | null;
  readonly failures_relation: string;
}

const RUN_COLUMNS = [
  'invocation_id',
  'command',
  'args',
  'trigger',
  'status',
  'error',
  'started_ms',
  'finished_ms',
  'host',
  'pid',
] as const;

const NODE_COLUMNS = [
  'invocation_id',
  'unique_id',
  'resource_type',
  'status',
  'started_ms',
  'finished_ms',
  'execution_time',
  'rows_written',
  'message',
  'failures',
  'failures_relation',
] as const;

export function createHistorySql(database: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(database, RUNS_TABLE)} (
  invocation_id String, command String, args String, trigger String, status String, error String,
  started_ms UInt64, finished_ms UInt64, host String, pid UInt32, revision UInt64
) ENGINE = ReplacingMergeTree(revision) ORDER BY invocation_id`,
    `CREATE TABLE IF NOT EXISTS ${qualified(database, RUN_NODES_TABLE)} (
  invocation_id String, unique_id String, resource_type String, status String,
  started_ms UInt64, finished_ms UInt64, execution_time Float64, rows_written Nullable(UInt64),
  message String, failures Nullable(UInt64), failures_relation String
) ENGINE = MergeTree ORDER BY (invocation_id, unique_id)`,
  ];
}

/** What reading the history needs: `dema runs` passes its Warehouse, `dema serve` its read-only engine. */
export type HistoryReader = Pick<Warehouse, 'database' | 'query'>;

export async function ensureHistoryTables(warehouse: Warehouse): Promise<void> {
  for (const sql of createHistorySql(warehouse.database)) await warehouse.command(sql);
}

let lastRevision = 0n;
/** Strictly increasing per process: a run's outcome row always replaces its `running` row. */
function nextRevision(): bigint {
  const now = BigInt(Date.now()) * 1000n;
  lastRevision = now > lastRevision ? now : lastRevision + 1n;
  return lastRevision;
}

export function newRunRecord(
  fields: Pick<RunRecord, 'invocation_id' | 'command' | 'args' | 'trigger'>,
): RunRecord {
  return {
    ...fields,
    status: 'running',
    error: '',
    started_ms: Date.now(),
    finished_ms: 0,
    host: hostname(),
    pid: process.pid,
  };
}

export async function writeRun(warehouse: Warehouse, record: RunRecord): Promise<void> {
  const values = [...RUN_COLUMNS.map((column) => literal(record[column])), nextRevision().toString()];
  await warehouse.command(
    `INSERT INTO ${qualified(warehouse.database, RUNS_TABLE)} (${RUN_COLUMNS.join(', ')}, revision) VALUES (${values.join(', ')})`,
  );
}

export async function writeRunNodes(warehouse: Warehouse, nodes: readonly RunNodeRecord[]): Promise<void> {
  if (nodes.length === 0) return;
  const rows = nodes.map(
    (node) => `(${NODE_COLUMNS.map((column) => literal(node[column] as string | number | null)).join(', ')})`,
  );
  await warehouse.command(
    `INSERT INTO ${qualified(warehouse.database, RUN_NODES_TABLE)} (${NODE_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`,
  );
}

async function tableExists(warehouse: HistoryReader, table: string): Promise<boolean> {
  const { rows } = await warehouse.query<{ n: number }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(warehouse.database)} AND name = ${quoteString(table)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** A run still marked running by a process that no longer exists was interrupted. */
function settle(row: RunRecord): RunRecord {
  const record: RunRecord = {
    ...row,
    started_ms: Number(row.started_ms),
    finished_ms: Number(row.finished_ms),
    pid: Number(row.pid),
  };
  if (record.status === 'running' && record.host === hostname() && !processAlive(record.pid))
    return { ...record, status: 'interrupted' };
  return record;
}

export async function listRuns(
  warehouse: HistoryReader,
  filter: { limit?: number; id?: string; command?: string } = {},
): Promise<RunRecord[]> {
  if (!(await tableExists(warehouse, RUNS_TABLE))) return [];
  const conditions = [
    filter.id ? `invocation_id = ${quoteString(filter.id)}` : '',
    filter.command ? `command = ${quoteString(filter.command)}` : '',
  ].filter(Boolean);
  const { rows } = await warehouse.query<RunRecord>(
    `SELECT ${RUN_COLUMNS.join(', ')} FROM ${qualified(warehouse.database, RUNS_TABLE)} FINAL ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY started_ms DESC, invocation_id LIMIT ${filter.limit ?? 20}`,
  );
  return rows.map(settle);
}

export async function listRunNodes(warehouse: HistoryReader, invocationId: string): Promise<RunNodeRecord[]> {
  if (!(await tableExists(warehouse, RUN_NODES_TABLE))) return [];
  const { rows } = await warehouse.query<RunNodeRecord>(
    `SELECT ${NODE_COLUMNS.join(', ')} FROM ${qualified(warehouse.database, RUN_NODES_TABLE)} WHERE invocation_id = ${quoteString(invocationId)} ORDER BY started_ms, unique_id`,
  );
  return rows.map((row) => ({
    ...row,
    started_ms: Number(row.started_ms),
    finished_ms: Number(row.finished_ms),
    execution_time: Number(row.execution_time),
    rows_written: row.rows_written === null ? null : Number(row.rows_written),
    failures: row.failures === null ? null : Number(row.failures),
  }));
}

/** Start of the newest pipeline run that did something (skipped ticks do not count), or null. */
export async function lastPipelineStart(warehouse: HistoryReader): Promise<number | null> {
  if (!(await tableExists(warehouse, RUNS_TABLE))) return null;
  const { rows } = await warehouse.query<{ n: number; last: number }>(
    `SELECT count() AS n, max(started_ms) AS last FROM ${qualified(warehouse.database, RUNS_TABLE)} FINAL WHERE command = 'pipeline' AND status != 'skipped'`,
  );
  return Number(rows[0]?.n ?? 0) > 0 ? Number(rows[0]!.last) : null;
}
