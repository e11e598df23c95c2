import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { envFlag } from '../dbt/env-flag.ts';
import { DemaError } from '../errors.ts';
import { killOnEvents } from '../kill-point.ts';
import { registerDbt } from './commands/dbt.ts';
import { registerDocs } from './commands/docs.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerLint } from './commands/lint.ts';
import { registerLoads } from './commands/loads.ts';
import { registerPipeline } from './commands/pipeline.ts';
import { registerQuery } from './commands/query.ts';
import { registerRuns } from './commands/runs.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerServe } from './commands/serve.ts';
import type { GlobalOptions } from './context.ts';
import { createOutput, guardStandardStreams, type Output } from './output.ts';

/** Runs the CLI and resolves to the exit code: 0 success, 1 a failure in the work, 2 bad usage or an unexpected error. */
export async function main(argv: readonly string[]): Promise<number> {
  guardStandardStreams();
  let pending: Promise<number> = Promise.resolve(0);
  const program = new Command('dema')
    .description(
      'ELT for e-commerce analytics on ClickHouse: ingest CSV exports, transform with dbt projects.',
    )
    .option('-c, --config <file>', 'dema.yml to use (default: nearest one at or above the current directory)')
    .option('-t, --target <name>', 'warehouse target from dema.yml (default: its `target`, or DEMA_TARGET)')
    .option('--json', 'machine output: one JSON object per line', false)
    .option('-q, --quiet', 'only errors, results and the closing summary (or DBT_QUIET)', false)
    .option('--log-format <format>', "dbt's log format: json is --json; text and default are dema's lines")
    .option('--warn-error', 'dbt commands: every warning is an error (or DBT_WARN_ERROR)')
    .option(
      '--warn-error-options <yaml>',
      "dbt commands: warnings that are errors, e.g. '{include: all, exclude: [NoNodesForSelectionCriteria]}'",
    )
    .version(packageVersion(), '-V, --version', 'print the version of dema')
    .option(
      '--wait [seconds]',
      'if another dema command holds the warehouse, wait for it (for ever without SECONDS) instead of failing',
    )
    .exitOverride()
    .showHelpAfterError();

  const run = (work: (global: GlobalOptions, output: Output) => Promise<number>) => {
    let global: GlobalOptions;
    try {
      global = withDbtEnv(program.opts<GlobalOptions>());
    } catch (error) {
      pending = Promise.resolve(reportError(error, createOutput({ json: false, quiet: false })));
      return;
    }
    const output = createOutput({ json: global.json, quiet: global.quiet });
    output.reporter = killOnEvents(output.reporter);
    const withReporter = { ...global, reporter: output.reporter };
    pending = work(withReporter, output).catch((error: unknown) => reportError(error, output));
  };
  registerPipeline(program, run);
  registerIngest(program, run);
  registerGenerate(program, run);
  registerQuery(program, run);
  registerLoads(program, run);
  registerDbt(program, run);
  registerDocs(program, run);
  registerRuns(program, run);
  registerSchedule(program, run);
  registerServe(program, run);
  registerLint(program, run);

  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return pending;
}

/** dbt's --log-format json, DBT_LOG_FORMAT and DBT_QUIET, as dema's --json and --quiet (a flag beats its variable). */
function withDbtEnv(global: GlobalOptions): GlobalOptions {
  const format = (global.logFormat ?? process.env.DBT_LOG_FORMAT ?? '').toLowerCase();
  if (format !== '' && !['json', 'text', 'default', 'debug'].includes(format))
    throw new DemaError('USAGE', `--log-format ${format}: use json, text, default or debug.`);
  const quiet = global.quiet || envFlag(process.env.DBT_QUIET);
  return { ...global, json: global.json || format === 'json', quiet };
}

/** As dbt: problems found before any node runs (usage, configuration, parsing, compilation) exit 2. */
const EXIT_2_CODES: ReadonlySet<string> = new Set([
  'USAGE',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'PARSE_PROJECT',
  'PARSE_YAML',
  'JINJA_SYNTAX',
  'JINJA_RENDER',
  'JINJA_UNSUPPORTED',
  'DBT_UNSUPPORTED',
  'REF_NOT_FOUND',
  'GRAPH_CYCLE',
  'SELECT_INVALID',
  'PROFILE_INVALID',
  'INGEST_SOURCE_UNKNOWN',
  'GENERATE_INVALID',
  'DEPS_SPEC',
  'DEPS_CONFLICT',
  'DEPS_NOT_FOUND',
  'DEPS_NOT_INSTALLED',
]);

/** The version in package.json (two levels up from both src/cli and dist/cli). */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof DemaError) {
    if (output.json)
      output.line(
        JSON.stringify({ type: 'error', code: error.code, message: error.message, hint: error.hint }),
      );
    else output.error(`error [${error.code}] ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    return EXIT_2_CODES.has(error.code) ? 2 : 1;
  }
  output.error(
    `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return 2;
}
