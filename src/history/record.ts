import { randomUUID } from 'node:crypto';
import type { DbtNode } from '../dbt/manifest/types.ts';
import type { NodeResult } from '../dbt/run/results.ts';
import { DemaError, errorMessage } from '../errors.ts';
import type { Reporter } from '../events.ts';
import type { SourceOutcome } from '../ingest/ingest.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import {
  ensureHistoryTables,
  newRunRecord,
  type RunNodeRecord,
  type RunRecord,
  type RunTrigger,
  writeRun,
  writeRunNodes,
} from './store.ts';

/**
 * Records one CLI invocation in the run history around its work: a `running` row before, the
 * outcome (and the per-node rows) after. History is a by-product: failing to write it is logged as
 * a warning and never changes the command's own result.
 */

/** The scheduler runs its jobs with DEMA_TRIGGER=schedule. */
export function currentTrigger(env: NodeJS.ProcessEnv = process.env): RunTrigger {
  return env.DEMA_TRIGGER === 'schedule' ? 'schedule' : 'cli';
}

export class RunRecorder {
  private readonly nodes: RunNodeRecord[] = [];
  private failure = '';

  constructor(readonly invocationId: string) {}

  /** dbt node results; `storeFailures` is the run's --store-failures flag. */
  dbtResults(
    results: readonly NodeResult[],
    manifest: ReadonlyMap<string, DbtNode>,
    storeFailures: boolean,
  ): void {
    for (const result of results) {
      this.nodes.push(nodeRecord(this.invocationId, result, manifest.get(result.uniqueId), storeFailures));
      if (!this.failure && (result.status === 'error' || result.status === 'fail'))
        this.failure = `${result.uniqueId}: ${result.message}`;
    }
  }

  ingestOutcomes(outcomes: readonly SourceOutcome[], startedMs: number): void {
    const now = Date.now();
    for (const outcome of outcomes) {
      const record =
        outcome.status === 'success'
          ? outcome.record
          : outcome.status === 'skipped'
            ? outcome.previous
            : null;
      const message =
        outcome.status === 'failed'
          ? `[${outcome.error.code}] ${outcome.error.message}`
          : outcome.status === 'skipped'
            ? `same file as load ${record!.load_id}`
            : `load ${record!.load_id}: ${record!.rows_loaded} loaded, ${record!.rows_rejected} rejected`;
      this.nodes.push({
        invocation_id: this.invocationId,
        unique_id: `ingest.${outcome.source}`,
        resource_type: 'ingest',
        status: outcome.status,
        started_ms: outcome.status === 'success' ? record!.started_at * 1000 : startedMs,
        finished_ms: outcome.status === 'success' ? record!.finished_at * 1000 : now,
        execution_time: outcome.status === 'success' ? record!.finished_at - record!.started_at : 0,
        rows_written: outcome.status === 'success' ? record!.rows_loaded : null,
        message,
        failures: outcome.status === 'success' ? record!.rows_rejected : null,
        failures_relation: '',
      });
      if (!this.failure && outcome.status === 'failed') this.failure = `ingest ${outcome.source}: ${message}`;
    }
  }

  get records(): readonly RunNodeRecord[] {
    return this.nodes;
  }

  get firstFailure(): string {
    return this.failure;
  }
}

function nodeRecord(
  invocationId: string,
  result: NodeResult,
  node: DbtNode | undefined,
  storeFailures: boolean,
): RunNodeRecord {
  const started = result.timing[0]?.started_at;
  const finished = result.timing.at(-1)?.completed_at;
  const stored =
    result.resourceType === 'test' &&
    (result.status === 'fail' || result.status === 'warn') &&
    node !== undefined &&
    (node.config.store_failures === true || (node.config.store_failures !== false && storeFailures));
  const finishedMs = finished ? Date.parse(finished) : Date.now();
  return {
    invocation_id: invocationId,
    unique_id: result.uniqueId,
    resource_type: result.resourceType,
    status: result.status,
    started_ms: started ? Date.parse(started) : finishedMs - Math.round(result.executionTime * 1000),
    finished_ms: finishedMs,
    execution_time: result.executionTime,
    rows_written: result.adapterResponse.rows_written ?? null,
    message: result.message,
    failures: result.failures,
    failures_relation: stored ? `${node.schema}.${node.alias}` : '',
  };
}

/**
 * Runs `work` (which returns the command's exit code) recorded as one run. Exceptions are
 * recorded with their message and rethrown.
 */
export async function recordRun(
  warehouse: Warehouse,
  reporter: Reporter,
  fields: { command: string; invocationId?: string; args?: string },
  work: (recorder: RunRecorder) => Promise<number>,
): Promise<number> {
  const run = newRunRecord({
    invocation_id: fields.invocationId ?? randomUUID(),
    command: fields.command,
    args: fields.args ?? process.argv.slice(2).join(' '),
    trigger: currentTrigger(),
  });
  const recorder = new RunRecorder(run.invocation_id);
  const safely = async (what: string, write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      reporter.emit({
        type: 'log',
        level: 'warn',
        message: `run history: could not ${what}: ${errorMessage(error)}`,
      });
    }
  };
  await safely('record the start', async () => {
    await ensureHistoryTables(warehouse);
    await writeRun(warehouse, run);
  });
  const finish = (status: RunRecord['status'], error: string) =>
    safely('record the outcome', async () => {
      await writeRunNodes(warehouse, recorder.records);
      await writeRun(warehouse, { ...run, status, error, finished_ms: Date.now() });
    });
  let code: number;
  try {
    code = await work(recorder);
  } catch (error) {
    await finish(
      'error',
      error instanceof DemaError ? `[${error.code}] ${error.message}` : errorMessage(error),
    );
    throw error;
  }
  await finish(
    code === 0 ? 'success' : 'error',
    code === 0 ? '' : recorder.firstFailure || `exit code ${code}`,
  );
  return code;
}
