import { Cron } from 'croner';
import { loadConfig } from '../../config/dema-config.ts';
import { DemaError, errorMessage } from '../../errors.ts';
import { lastPipelineStart } from '../../history/store.ts';
import { recordSkippedTicks, runDemaChild } from '../../schedule/job.ts';
import { type ScheduleEvent, Scheduler, systemClock } from '../../schedule/scheduler.ts';
import { type GlobalOptions, withWarehouse } from '../context.ts';
import type { Output } from '../output.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function describe(event: ScheduleEvent): string {
  switch (event.type) {
    case 'schedule.next':
      return `next run at ${iso(event.at)}`;
    case 'schedule.run':
      return event.reason === 'catch-up'
        ? 'catching up a missed run: starting the pipeline now'
        : `run for ${iso(event.scheduledFor)}: starting the pipeline`;
    case 'schedule.skipped':
      return `skipped the tick at ${iso(event.scheduledFor)}: the run started at ${iso(event.runningSince)} is still in progress`;
    case 'schedule.done':
      return `run for ${iso(event.scheduledFor)} ${event.code === 0 ? 'succeeded' : `failed (exit ${event.code}${event.error ? `: ${event.error}` : ''})`}`;
  }
}

/** The scheduled run's command line: `dema pipeline` with this process's config, target and output flags. */
export function pipelineArgs(global: GlobalOptions, configFile: string): string[] {
  return [
    '--config',
    configFile,
    ...(global.target ? ['--target', global.target] : []),
    ...(global.json ? ['--json'] : []),
    ...(global.quiet ? ['--quiet'] : []),
    'pipeline',
  ];
}

export async function scheduleAction(
  global: GlobalOptions,
  flags: { once?: boolean },
  output: Output,
): Promise<number> {
  const config = loadConfig(global.config);
  if (!config.schedule)
    throw new DemaError('CONFIG_INVALID', `${config.file}: no \`schedule\` to run.`, {
      hint: 'Add e.g. `schedule: { cron: "*/15 * * * *", timezone: UTC }` to dema.yml.',
    });
  const childArgs = pipelineArgs(global, config.file);
  if (flags.once) return runDemaChild(childArgs);
  const cron = new Cron(config.schedule.cron, { paused: true, timezone: config.schedule.timezone });
  const emit = (event: ScheduleEvent) => {
    if (output.json) output.line(JSON.stringify({ ...event, time: new Date().toISOString() }));
    else output.reporter.emit({ type: 'log', level: 'info', message: `schedule: ${describe(event)}` });
  };
  const skipped: { scheduledFor: number; runningSince: number }[] = [];
  const scheduler = new Scheduler({
    clock: systemClock,
    nextAfter: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    previousBefore: (ms) => cron.previousRuns(1, new Date(ms))[0]?.getTime() ?? null,
    lastRunStart: () => withWarehouse(global, ({ warehouse }) => lastPipelineStart(warehouse)),
    async runJob() {
      const code = await runDemaChild(childArgs);
      // Written between runs, while no child holds the warehouse (an embedded store has one owner).
      const ticks = skipped.splice(0);
      await withWarehouse(global, ({ warehouse }) => recordSkippedTicks(warehouse, ticks)).catch((error) =>
        output.reporter.emit({ type: 'log', level: 'warn', message: `schedule: ${errorMessage(error)}` }),
      );
      return code;
    },
    onEvent(event) {
      if (event.type === 'schedule.skipped') skipped.push(event);
      emit(event);
    },
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      output.reporter.emit({
        type: 'log',
        level: 'info',
        message: `schedule: ${signal}: stopping${scheduler.busy ? ' after the current run' : ''}`,
      });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void scheduler.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  output.reporter.emit({
    type: 'log',
    level: 'info',
    message: `schedule: "${config.schedule.cron}" (${config.schedule.timezone}) from ${config.file}`,
  });
  await scheduler.start();
  await stopped;
  return 0;
}
