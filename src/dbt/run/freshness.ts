import { errorMessage } from '../../errors.ts';
import type { Reporter } from '../../events.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { DbtNode, FreshnessSpec } from '../manifest/types.ts';

/**
 * `dema source freshness`: per source table with a freshness rule, the age of its newest row
 * (`max(loaded_at_field)`) against warn_after / error_after, as dbt computes it (dbt-semantics.md §9.4).
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
    const criteria = node.source!.freshness!;
    const started = performance.now();
    reporter.emit({ type: 'dbt.node.start', index, total, uniqueId: node.uniqueId, description });
    let result: FreshnessResult;
    try {
      const { rows } = await warehouse.query<{
        max_loaded_at: number;
        never: number;
        snapshotted_at: number;
      }>(freshnessSql(node));
      const row = rows[0]!;
      const never = Number(row.never) === 1;
      const snapshot = Number(row.snapshotted_at);
      const age = never ? null : snapshot - Number(row.max_loaded_at);
      result = {
        uniqueId: node.uniqueId,
        status: freshnessStatus(age, criteria),
        maxLoadedAt: never ? null : new Date(Number(row.max_loaded_at) * 1000).toISOString(),
        snapshottedAt: new Date(snapshot * 1000).toISOString(),
        ageSeconds: age,
        criteria,
        executionTime: (performance.now() - started) / 1000,
      };
    } catch (error) {
      result = {
        uniqueId: node.uniqueId,
        status: 'runtime error',
        maxLoadedAt: null,
        snapshottedAt: new Date().toISOString(),
        ageSeconds: null,
        criteria,
        executionTime: (performance.now() - started) / 1000,
        error: errorMessage(error),
      };
    }
    results.push(result);
    const age =
      result.ageSeconds === null ? 'never loaded' : `newest row ${formatAge(result.ageSeconds)} old`;
    reporter.emit({
      type: 'dbt.node.done',
      index,
      total,
      uniqueId: node.uniqueId,
      description,
      status: result.status === 'runtime error' ? 'error' : result.status,
      message: result.error ?? `${result.status.toUpperCase()}: ${age}`,
      seconds: result.executionTime,
    });
  }
  return results;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
