/** One node's result in dbt's run_results shape (dbt-semantics.md §9.2). */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

export interface Timing {
  readonly name: 'compile' | 'execute';
  readonly started_at: string;
  readonly completed_at: string;
}

export interface NodeResult {
  readonly uniqueId: string;
  readonly name: string;
  readonly resourceType: string;
  readonly status: NodeStatus;
  readonly message: string;
  readonly failures: number | null;
  readonly executionTime: number;
  readonly timing: Timing[];
  readonly threadId: string;
  readonly adapterResponse: { _message: string; rows_written?: number; bytes_read?: number };
  readonly compiledCode?: string;
  readonly relationName?: string;
  /** For errors: the error code and hint, for the CLI and JSON output. */
  readonly errorCode?: string;
  readonly hint?: string;
}

/** A node or unit test that did not run (a parent failed, fail_fast, an interruption), as dbt reports it. */
export function skippedResult(
  node: { uniqueId: string; name: string; resourceType: string; relationName?: string | undefined },
  message: string,
): NodeResult {
  return {
    uniqueId: node.uniqueId,
    name: node.name,
    resourceType: node.resourceType,
    status: 'skipped',
    message,
    failures: null,
    executionTime: 0,
    timing: [],
    threadId: 'Thread-1',
    adapterResponse: { _message: 'SKIP' },
    ...(node.relationName ? { relationName: node.relationName } : {}),
  };
}

export interface RunSummary {
  readonly results: NodeResult[];
  readonly elapsedSeconds: number;
  readonly counts: { pass: number; warn: number; error: number; skip: number; total: number };
}

export function summarise(results: readonly NodeResult[], elapsedSeconds: number): RunSummary {
  const counts = { pass: 0, warn: 0, error: 0, skip: 0, total: results.length };
  for (const result of results) {
    if (result.status === 'success' || result.status === 'pass') counts.pass++;
    else if (result.status === 'warn') counts.warn++;
    else if (result.status === 'skipped') counts.skip++;
    else counts.error++;
  }
  return { results: [...results], elapsedSeconds, counts };
}

/** dbt's exit code: 1 when anything errored, failed or was skipped; warnings do not fail. */
export function exitCodeFor(summary: RunSummary): number {
  return summary.counts.error > 0 || summary.counts.skip > 0 ? 1 : 0;
}
