import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { RunSummary } from '../../dbt/run/results.ts';
import { compactOutput } from '../compact.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { closingReport } from '../pipeline-report.ts';
import { parseLocations, reportOutcomes } from './ingest.ts';

const SAMPLE_DIR = 'data/sample';

interface PipelineFlags {
  readonly sample?: boolean;
  readonly ingestOnly?: boolean;
  readonly fullRefresh?: boolean;
  readonly location: string[];
}

export function registerPipeline(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('pipeline')
    .description('The whole job: ingest every source, then build the analytics project')
    .option(
      '--sample',
      `use generated sample data (written to ${SAMPLE_DIR}/ if absent) instead of the declared locations`,
    )
    .option(
      '-l, --location <source=url_or_path>',
      'read a source from another URL or local file for this run (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--ingest-only', 'load the sources but do not build the project')
    .option('-f, --full-refresh', 'rebuild incremental models from scratch')
    .action((flags: PipelineFlags) =>
      run(async (global, plain) => {
        // Checked before anything opens, so a typo costs nothing.
        const overrides = parseLocations(flags.location);
        // Loaded only when the command runs, so `dema --help` stays quick.
        const [{ withWarehouse }, { ingest }, { GENERATE_DEFAULTS, generate }, { recordRun }] =
          await Promise.all([
            import('../context.ts'),
            import('../../ingest/ingest.ts'),
            import('../../generate/generate.ts'),
            import('../../history/record.ts'),
          ]);
        const output = compactOutput(plain, global.quiet);
        return withWarehouse(global, ({ config, warehouse }) =>
          recordRun(warehouse, output.reporter, { command: 'pipeline' }, async (recorder) => {
            const started = Date.now();
            const locations: Record<string, string> = {};
            if (flags.sample) {
              const dir = resolve(config.root, SAMPLE_DIR);
              if (!existsSync(join(dir, 'orders.csv')) || !existsSync(join(dir, 'inventory.csv'))) {
                output.reporter.emit({
                  type: 'log',
                  level: 'info',
                  message: `generating sample data in ${dir}`,
                });
                await generate({ ...GENERATE_DEFAULTS, outDir: dir }, output.reporter);
              }
              for (const source of config.sources) {
                const file = join(dir, `${source.name}.csv`);
                if (existsSync(file)) locations[source.name] = file;
              }
            }
            // An explicit --location wins over the sample copy.
            Object.assign(locations, overrides);
            const outcomes = await ingest(
              config,
              warehouse,
              { only: [], locations, force: false },
              output.reporter,
            );
            recorder.ingestOutcomes(outcomes, started);
            const ingestSeconds = (Date.now() - started) / 1000;
            const ingestCode = reportOutcomes(outcomes, output);
            const finish = (code: number, summary?: RunSummary, buildSeconds = 0) =>
              closingReport(output, warehouse, outcomes, ingestSeconds, summary, buildSeconds).then(
                (failed) => (code === 0 && failed ? 1 : code),
              );
            if (ingestCode !== 0 || flags.ingestOnly) return finish(ingestCode);
            // The build runs on the warehouse ingest just wrote (chDB allows one open store per process).
            const buildStarted = Date.now();
            const projectDir = resolve(config.root, config.project_dir);
            const { prepareProject, runDbtCommand } = await import('./dbt-actions.ts');
            const prepared = prepareProject(
              global,
              { projectDir },
              'build',
              output,
              // One id for the run history, run_results.json and stored test failures.
              recorder.invocationId,
            );
            let summary: RunSummary | undefined;
            const code = await runDbtCommand(
              prepared,
              warehouse,
              'build',
              { fullRefresh: flags.fullRefresh === true },
              output,
              recorder,
              (s) => {
                summary = s;
              },
            );
            return finish(code, summary, (Date.now() - buildStarted) / 1000);
          }),
        );
      }),
    );
}
