import { listRunNodes, listRuns, type RunNodeRecord, type RunRecord } from '../history/store.ts';
import { quoteIdent } from '../warehouse/sql.ts';
import { ApiError } from './api.ts';
import type { ReadonlyEngine } from './engine.ts';

/**
 * The run history as the web app shows it: the data behind /api/runs… and the /runs pages. Every
 * read goes through the read-only engine. The request's id and node reach SQL only as escaped
 * string literals (the history store quotes them); the stored-failures relation is taken from the
 * history row, never from the request, and quoted as identifiers.
 */

export const FAILURE_ROWS = 100;

export interface RunView extends RunRecord {
  /** finished − started, or null while running. */
  readonly duration_ms: number | null;
}

export interface StoredFailures {
  readonly relation: string;
  readonly columns: readonly { name: string; type: string }[];
  readonly rows: readonly Record<string, unknown>[];
  /** All rows the relation holds (the page shows the first FAILURE_ROWS). */
  readonly total: number;
}

function view(run: RunRecord): RunView {
  return { ...run, duration_ms: run.finished_ms > 0 ? run.finished_ms - run.started_ms : null };
}

export function parseLimit(text: string | null): number {
  if (text === null || text === '') return 50;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new ApiError('limit must be a whole number from 1 to 1000');
  return limit;
}

/** `?limit=` and `?command=` (e.g. pipeline): the command reaches SQL as an escaped literal. */
export async function runsList(engine: ReadonlyEngine, params: URLSearchParams): Promise<RunView[]> {
  const command = params.get('command') || undefined;
  const limit = parseLimit(params.get('limit'));
  return (await listRuns(engine.reader(), { limit, ...(command ? { command } : {}) })).map(view);
}

/** Per resource type, how many nodes ended in each status: "test: 1 fail, 3 pass". */
export function nodeSummary(nodes: readonly RunNodeRecord[]): string[] {
  const counts = new Map<string, Map<string, number>>();
  for (const node of nodes) {
    const byStatus = counts.get(node.resource_type) ?? new Map<string, number>();
    byStatus.set(node.status, (byStatus.get(node.status) ?? 0) + 1);
    counts.set(node.resource_type, byStatus);
  }
  return [...counts].map(
    ([type, byStatus]) => `${type}: ${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')}`,
  );
}

export async function runDetail(
  engine: ReadonlyEngine,
  id: string,
): Promise<{ run: RunView; nodes: RunNodeRecord[] }> {
  if (!id) throw new ApiError('id is required');
  const [run] = await listRuns(engine.reader(), { id, limit: 1 });
  if (!run) throw new ApiError(`no run with invocation id "${id}"`, 404);
  return { run: view(run), nodes: await listRunNodes(engine.reader(), id) };
}

/** The relation's schema and name: stored as `schema.alias` (dbt's audit schema has no dot). */
function relationSql(relation: string): string {
  const dot = relation.indexOf('.');
  return dot < 0
    ? quoteIdent(relation)
    : `${quoteIdent(relation.slice(0, dot))}.${quoteIdent(relation.slice(dot + 1))}`;
}

/** The first FAILURE_ROWS rows a failing test stored (`store_failures`), as ClickHouse's JSON format gives them. */
export async function storedFailures(
  engine: ReadonlyEngine,
  id: string,
  uniqueId: string,
): Promise<StoredFailures> {
  if (!id || !uniqueId) throw new ApiError('id and node are required');
  const node = (await listRunNodes(engine.reader(), id)).find((n) => n.unique_id === uniqueId);
  if (!node) throw new ApiError(`run "${id}" has no node "${uniqueId}"`, 404);
  if (!node.failures_relation) throw new ApiError(`${uniqueId} stored no failures in run "${id}"`, 404);
  const relation = relationSql(node.failures_relation);
  const json = JSON.parse(await engine.text(`SELECT * FROM ${relation} LIMIT ${FAILURE_ROWS}`, 'JSON')) as {
    meta: { name: string; type: string }[];
    data: Record<string, unknown>[];
  };
  const [count] = await engine.rows<{ n: string | number }>(`SELECT count() AS n FROM ${relation}`);
  return {
    relation: node.failures_relation,
    columns: json.meta,
    rows: json.data,
    total: Number(count?.n ?? 0),
  };
}

/** A cell as text: NULL for null, JSON for arrays and tuples, the value itself otherwise. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
