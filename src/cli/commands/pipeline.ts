import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { GENERATE_DEFAULTS, generate } from '../../generate/generate.ts';
import { ingest } from '../../ingest/ingest.ts';
import { type GlobalOptions, withWarehouse } from '../context.ts';
import type { Output } from '../output.ts';
import { reportOutcomes } from './ingest.ts';

const SAMPLE_DIR = 'data/sample';

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
    .option('--ingest-only', 'load the sources but do not build the project')
    .option('-f, --full-refresh', 'rebuild incremental models from scratch')
    .action((flags: { sample?: boolean; ingestOnly?: boolean; fullRefresh?: boolean }) =>
      run((global, output) =>
        withWarehouse(global, async ({ config, warehouse }) => {
          const locations: Record<string, string> = {};
          if (flags.sample) {
            const dir = resolve(config.root, SAMPLE_DIR);
            if (!existsSync(join(dir, 'orders.csv')) || !existsSync(join(dir, 'inventory.csv'))) {
              output.reporter.emit({
                type: 'log',
                level: 'info',
                message: `generating sample data in ${dir}`,
              });
              await generate({ ...GENERATE_DEFAULTS, outDir: dir });
            }
            for (const source of config.sources) {
              const file = join(dir, `${source.name}.csv`);
              if (existsSync(file)) locations[source.name] = file;
            }
          }
          const outcomes = await ingest(
            config,
            warehouse,
            { only: [], locations, force: false },
            output.reporter,
          );
          const ingestCode = reportOutcomes(outcomes, output);
          if (ingestCode !== 0 || flags.ingestOnly) return ingestCode;
          // The build runs on the warehouse ingest just wrote (chDB allows one open store per process).
          const projectDir = resolve(config.root, config.project_dir);
          const { prepareProject, runDbtCommand } = await import('./dbt-actions.ts');
          const prepared = prepareProject(global, { projectDir }, 'build', output);
          return runDbtCommand(
            prepared,
            warehouse,
            'build',
            { fullRefresh: flags.fullRefresh === true },
            output,
          );
        }),
      ),
    );
}
