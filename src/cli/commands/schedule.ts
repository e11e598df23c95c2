import type { Command } from 'commander';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';

export function registerSchedule(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('schedule')
    .description('Run the pipeline (ingest + build) on the cron schedule in dema.yml, until SIGINT/SIGTERM')
    .option('--once', 'run the pipeline once now as a scheduled run, then exit with its exit code')
    .action((flags: { once?: boolean }) =>
      run(async (global, output) => {
        // Loaded only when the command runs, so `dema --help` stays quick.
        const { scheduleAction } = await import('./schedule-action.ts');
        return scheduleAction(global, flags, output);
      }),
    );
}
