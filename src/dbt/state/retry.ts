import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import type { RunCommand } from '../run/runner.ts';

/**
 * dbt's `retry` (core/dbt/task/retry.py): the previous invocation's command and flags, from
 * run_results.json `args`, run again on just the nodes whose result was error, fail or skipped
 * (a skipped node is one whose parent failed, so fixing the cause and retrying finishes the DAG).
 */

const RETRYABLE = new Set(['error', 'fail', 'skipped', 'runtime error', 'partial success']);
const RETRYABLE_COMMANDS: readonly RunCommand[] = ['run', 'test', 'build', 'seed', 'snapshot', 'compile'];

export interface RetryPlan {
  readonly command: RunCommand;
  readonly args: Readonly<Record<string, unknown>>;
  readonly ids: ReadonlySet<string>;
}

export function readRetryPlan(file: string): RetryPlan {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DemaError(
      'USAGE',
      missing
        ? `Could not find a previous run: ${file} does not exist.`
        : `Cannot read the previous run's ${file}: ${(error as Error).message}`,
      { hint: 'dema retry re-runs what the last run/build/test/seed left failed; run one first.' },
    );
  }
  const args = (document.args ?? {}) as Record<string, unknown>;
  const command = args.which as RunCommand;
  if (!RETRYABLE_COMMANDS.includes(command))
    throw new DemaError('USAGE', `${file}: the previous command "${String(args.which)}" cannot be retried.`, {
      hint: `dema retry repeats ${RETRYABLE_COMMANDS.join(', ')}.`,
    });
  const ids = new Set<string>();
  for (const result of (Array.isArray(document.results) ? document.results : []) as Record<string, unknown>[])
    if (RETRYABLE.has(String(result?.status)) && typeof result.unique_id === 'string')
      ids.add(result.unique_id);
  return { command, args, ids };
}
