import { Cron } from 'croner';
import type { DemaConfig } from '../../config/dema-config.ts';
import { errorMessage } from '../../errors.ts';
import { lastPipelineStart } from '../../history/store.ts';
import { recordSkippedTicks, runDemaChild } from '../../schedule/job.ts';
import { type ScheduleEvent, Scheduler, systemClock } from '../../schedule/scheduler.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { ReadonlyEngine } from '../../web/engine.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { describe, pipelineArgs } from './schedule-action.ts';

/**
 * `dema serve` runs dema.yml's schedule as `dema schedule` does (the same Scheduler: never
 * overlapping, a missed run caught up once, each run recorded by its `dema pipeline` child).
 *
 * Protocol: serve owns the warehouse (and its lock) while it serves; the child needs it to write.
 * So each run: the engine finishes the statements in flight and hands the warehouse back
 * (`release`), serve closes it (the lock goes), the child runs, serve opens the warehouse again
 * and the engine makes it read-only before the next statement (`reopen`). Meanwhile every page,
 * endpoint and ClickHouse request is refused with 503 saying a run is in progress. When the
 * warehouse cannot be opened again (another process took it), the engine stays paused and the
 * next run tries again. Ticks skipped during a run are written to the run history on the way back,
 * while serve holds the warehouse writable (as `dema schedule` writes them between runs).
 */
export function serveScheduler(options: {
  readonly global: GlobalOptions;
  readonly output: Output;
  readonly config: DemaConfig;
  readonly engine: ReadonlyEngine;
  /** Closes the warehouse handed back (its lock goes); serve no longer holds it. */
  readonly close: (warehouse: Warehouse) => Promise<void>;
  /** Opens the warehouse (and its lock) again; serve keeps it to close on exit. */
  readonly reopen: () => Promise<Warehouse>;
}): Scheduler | undefined {
  const { global, output, config, engine } = options;
  if (!config.schedule) return undefined;
  const cron = new Cron(config.schedule.cron, { paused: true, timezone: config.schedule.timezone });
  const log = (message: string, level: 'info' | 'warn' = 'info') =>
    output.reporter.emit({ type: 'log', level, message: `schedule: ${message}` });
  const args = pipelineArgs(global, config.file);
  let open = true;
  const skipped: { scheduledFor: number; runningSince: number }[] = [];
  return new Scheduler({
    clock: systemClock,
    nextAfter: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    previousBefore: (ms) => cron.previousRuns(1, new Date(ms))[0]?.getTime() ?? null,
    lastRunStart: () => lastPipelineStart(engine.reader()),
    async runJob() {
      if (open) {
        const since = new Date().toISOString();
        const warehouse = await engine.release(
          `a scheduled pipeline run is in progress (since ${since}); try again when it ends`,
        );
        await options.close(warehouse);
        open = false;
      }
      try {
        return await runDemaChild(args);
      } finally {
        try {
          const warehouse = await options.reopen();
          await recordSkippedTicks(warehouse, skipped.splice(0)).catch((error) =>
            log(`cannot record skipped ticks (${errorMessage(error)})`, 'warn'),
          );
          await engine.reopen(warehouse);
          open = true;
        } catch (error) {
          log(`cannot open the warehouse again (${errorMessage(error)}); the next run retries`, 'warn');
        }
      }
    },
    onEvent: (event: ScheduleEvent) => {
      if (event.type === 'schedule.skipped') skipped.push(event);
      log(describe(event));
    },
  });
}
