import { DemaError, errorMessage } from '../../errors.ts';
import type { Reporter } from '../../events.ts';
import { LEDGER_TABLE } from '../../ingest/landing-sql.ts';
import { qualified, quoteString } from '../../warehouse/sql.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { DbtNode, FreshnessSpec } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';

/**
 * `dema source freshness`: per source table with a freshness rule, its age against warn_after /
 * error_after, as dbt computes it (dbt-semantics.md §9.4). The age comes from the data when the
 * source names a `loaded_at_field` (`max(loaded_at_field)` with the rule's `filter`, as dbt), else
 * from dema's load ledger: the newest successful load into that landing table (ClickHouse has no
 * table-modified metadata for dbt's fallback). 2023 orders loaded today are old by their data.
 */

export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export interface FreshnessResult {
  readonly uniqueId: string;
  readonly status: FreshnessStatus;
  readonly maxLoadedAt: string | null;
  readonly snapshottedAt: string;
  readonly ageSeconds: number | null;
  readonly criteria: FreshnessSpec;
  readonly executionTime: number;
  /** Where the age came from: the source's loaded_at_field, or the load ledger. */
  readonly measuredFrom: 'column' | 'ledger';
  readonly error?: string;
}

const SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

function limitSeconds(rule: { count: number; period: keyof typeof SECONDS } | undefined): number | undefined {
  return rule ? rule.count * SECONDS[rule.period] : undefined;
}

/** error_after is checked first, then warn_after; a source never loaded is infinitely old. */
export function freshnessStatus(ageSeconds: number | null, criteria: FreshnessSpec): FreshnessStatus {
  const age = ageSeconds ?? Number.POSITIVE_INFINITY;
  const error = limitSeconds(criteria.error_after);
  if (error !== undefined && age > error) return 'error';
  const warn = limitSeconds(criteria.warn_after);
  if (warn !== undefined && age > warn) return 'warn';
  return 'pass';
}

export function freshnessSql(node: DbtNode): string {
  const field = node.source!.loadedAtField!;
  const filter = node.source!.freshness?.filter;
  return `select toUnixTimestamp(max(toDateTime(${field}))) as max_loaded_at, max(${field}) is null as never, toUnixTimestamp(now()) as snapshotted_at from ${node.relationName}${filter ? ` where ${filter}` : ''}`;
}

/** The ledger's newest successful load into the source's table (the ledger lives beside it). */
export function ledgerFreshnessSql(node: DbtNode): string {
  return `select toUnixTimestamp(max(finished_at)) as max_loaded_at, count() = 0 as never, toUnixTimestamp(now()) as snapshotted_at from ${qualified(node.schema, LEDGER_TABLE)} final where status = 'success' and landing_table = ${quoteString(node.source!.identifier)}`;
}

async function ledgerExists(warehouse: FreshnessReader, schema: string): Promise<boolean> {
  const { rows } = await warehouse.query<{ n: number }>(
    `select count() as n from system.tables where database = ${quoteString(schema)} and name = ${quoteString(LEDGER_TABLE)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** What measuring needs: the CLI passes its Warehouse, `dema serve` its read-only engine. */
export type FreshnessReader = Pick<Warehouse, 'query'>;

async function measure(
  node: DbtNode,
  warehouse: FreshnessReader,
): Promise<{ maxLoadedAt: number | null; snapshot: number }> {
  let sql: string;
  if (node.source!.loadedAtField) sql = freshnessSql(node);
  else if (await ledgerExists(warehouse, node.schema)) sql = ledgerFreshnessSql(node);
  else
    throw new DemaError(
      'FRESHNESS_UNMEASURABLE',
      `${node.sourceName}.${node.name} has no loaded_at_field and ${node.schema} has no load ledger (${LEDGER_TABLE}).`,
      { hint: `Name a loaded_at_field for it in ${nodeFile(node)}, or load it with \`dema ingest\`.` },
    );
  const { rows } = await warehouse.query<{ max_loaded_at: number; never: number; snapshotted_at: number }>(
    sql,
  );
  const row = rows[0]!;
  return {
    maxLoadedAt: Number(row.never) === 1 ? null : Number(row.max_loaded_at),
    snapshot: Number(row.snapshotted_at),
  };
}

export async function checkFreshness(
  sources: readonly DbtNode[],
  warehouse: Warehouse,
  reporter: Reporter,
): Promise<FreshnessResult[]> {
  const results: FreshnessResult[] = [];
  const total = sources.length;
  for (const [i, node] of sources.entries()) {
    const index = i + 1;
    const description = `freshness of ${node.sourceName}.${node.name}`;
    reporter.emit({ type: 'dbt.node.start', index, total, uniqueId: node.uniqueId, description });
    const result = await measureFreshness(node, warehouse);
    results.push(result);
    reporter.emit({
      type: 'dbt.node.done',
      index,
      total,
      uniqueId: node.uniqueId,
      description,
      status: result.status === 'runtime error' ? 'error' : result.status,
      message: result.error ?? freshnessMessage(result),
      seconds: result.executionTime,
    });
  }
  return results;
}

/** One source's freshness; a failure to measure is a `runtime error` result, never a throw. */
export async function measureFreshness(node: DbtNode, warehouse: FreshnessReader): Promise<FreshnessResult> {
  const criteria = node.source!.freshness!;
  const started = performance.now();
  const measuredFrom = node.source!.loadedAtField ? 'column' : 'ledger';
  try {
    const { maxLoadedAt, snapshot } = await measure(node, warehouse);
    const age = maxLoadedAt === null ? null : snapshot - maxLoadedAt;
    return {
      uniqueId: node.uniqueId,
      status: freshnessStatus(age, criteria),
      maxLoadedAt: maxLoadedAt === null ? null : new Date(maxLoadedAt * 1000).toISOString(),
      snapshottedAt: new Date(snapshot * 1000).toISOString(),
      ageSeconds: age,
      criteria,
      executionTime: (performance.now() - started) / 1000,
      measuredFrom,
    };
  } catch (error) {
    return {
      uniqueId: node.uniqueId,
      status: 'runtime error',
      maxLoadedAt: null,
      snapshottedAt: new Date().toISOString(),
      ageSeconds: null,
      criteria,
      executionTime: (performance.now() - started) / 1000,
      measuredFrom,
      error: errorMessage(error),
    };
  }
}

/** e.g. "PASS: newest row 3d 4h old (warn after 24 hours, error after 72 hours)". */
export function freshnessMessage(result: FreshnessResult): string {
  const what = result.measuredFrom === 'column' ? 'newest row' : 'newest load';
  const age = result.ageSeconds === null ? `never loaded` : `${what} ${formatAge(result.ageSeconds)} old`;
  const rule = (name: string, limit: FreshnessSpec['warn_after']) =>
    limit ? [`${name} after ${limit.count} ${limit.period}${limit.count === 1 ? '' : 's'}`] : [];
  const rules = [...rule('warn', result.criteria.warn_after), ...rule('error', result.criteria.error_after)];
  return `${result.status.toUpperCase()}: ${age}${rules.length ? ` (${rules.join(', ')})` : ''}`;
}

/** Two units, largest first: "3d 4h", "4h 12m", "12m 3s", "45s"; a future timestamp is "-5m 0s". */
export function formatAge(seconds: number): string {
  if (seconds < 0) return `-${formatAge(-seconds)}`;
  const s = Math.floor(seconds);
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const first = units.findIndex(([, size]) => s >= size);
  if (first < 0) return '0s';
  const [name, size] = units[first]!;
  const next = units[first + 1];
  const head = `${Math.floor(s / size)}${name}`;
  return next ? `${head} ${Math.floor((s % size) / next[1])}${next[0]}` : head;
}
