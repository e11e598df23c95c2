import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import type { SourceOutcome } from '../../ingest/ingest.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';

export function parseLocations(values: readonly string[]): Record<string, string> {
  const locations: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0)
      throw new DemaError('USAGE', `--location ${value}: expected SOURCE=URL_OR_PATH.`, {
        hint: 'e.g. --location orders=./data/sample/orders.csv',
      });
    locations[value.slice(0, at)] = value.slice(at + 1);
  }
  return locations;
}

/** Exit code for a set of source outcomes: 1 when any failed. */
export function reportOutcomes(outcomes: readonly SourceOutcome[], output: Output): number {
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.status !== 'failed') continue;
    failed++;
    if (output.json)
      output.line(
        JSON.stringify({
          type: 'load.failed',
          source: outcome.source,
          code: outcome.error.code,
          message: outcome.error.message,
          hint: outcome.error.hint,
        }),
      );
    else
      output.error(
        `error ${outcome.source}: [${outcome.error.code}] ${outcome.error.message}${outcome.error.hint ? `\n  hint: ${outcome.error.hint}` : ''}`,
      );
  }
  return failed > 0 ? 1 : 0;
}

export interface IngestFlags {
  readonly location: string[];
  readonly force?: boolean;
}

export function registerIngest(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('ingest')
    .description('Fetch the declared CSV sources, archive them, and load them into their landing tables')
    .argument('[sources...]', 'source names (default: all)')
    .option(
      '-l, --location <source=url_or_path>',
      'read a source from another URL or file for this run (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('-f, --force', 'load even if the same file (same sha256) was already loaded')
    .action((sources: string[], flags: IngestFlags) =>
      run(async (global, output) => {
        // Loaded only when the command runs, so `dema --help` stays quick.
        const [{ withWarehouse }, { ingest }, { recordRun }] = await Promise.all([
          import('../context.ts'),
          import('../../ingest/ingest.ts'),
          import('../../history/record.ts'),
        ]);
        return withWarehouse(global, ({ config, warehouse }) =>
          recordRun(warehouse, output.reporter, { command: 'ingest' }, async (recorder) => {
            const started = Date.now();
            const outcomes = await ingest(
              config,
              warehouse,
              { only: sources, locations: parseLocations(flags.location), force: flags.force ?? false },
              output.reporter,
            );
            recorder.ingestOutcomes(outcomes, started);
            return reportOutcomes(outcomes, output);
          }),
        );
      }),
    );
}
