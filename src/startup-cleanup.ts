import type { Reporter } from './events.ts';
import { removeStaleParts } from './ingest/archive-parts.ts';
import { recoverLoads } from './ingest/publish.ts';
import type { Warehouse } from './warehouse/warehouse.ts';

/**
 * What every command that touches a warehouse does first, holding the warehouse lock and before any
 * model, test or query runs: put right what killed or crashed commands left behind. The lock makes
 * every leftover one of a dead process, so a step may remove anything not its own process's.
 *
 * To add a step (e.g. dbt's `__dbt_tmp` helper tables of an interrupted run), append it to
 * CLEANUP_STEPS below. A step must be idempotent (it may itself be killed half-way and run again),
 * quick when there is nothing to do (it runs before every command), and report through the
 * reporter, never print. `required` steps stop the command when they fail (the publish recovery: a
 * build must not read a half-attached load); the others are reported and the command goes on.
 */

export interface CleanupContext {
  readonly warehouse: Warehouse;
  readonly reporter: Reporter;
  /** The raw archive of dema.yml, when the command has one (dbt commands may not). */
  readonly archiveDir?: string;
}

export interface CleanupStep {
  readonly name: string;
  readonly required: boolean;
  run(context: CleanupContext): Promise<void>;
}

export const CLEANUP_STEPS: CleanupStep[] = [
  {
    name: 'ingest: finish or undo interrupted loads, drop unused stage tables',
    required: true,
    run: ({ warehouse, reporter }) => recoverLoads(warehouse, reporter),
  },
  {
    name: 'ingest: remove half-written archive copies of dead processes',
    required: false,
    async run({ archiveDir, reporter }) {
      if (archiveDir === undefined) return;
      for (const path of removeStaleParts(archiveDir))
        reporter.emit({
          type: 'log',
          level: 'info',
          message: `removed ${path} (left by an interrupted copy)`,
        });
    },
  },
];

export async function cleanupAtStart(context: CleanupContext): Promise<void> {
  for (const step of CLEANUP_STEPS) {
    try {
      await step.run(context);
    } catch (error) {
      if (step.required) throw error;
      context.reporter.emit({
        type: 'log',
        level: 'warn',
        message: `cleanup "${step.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
