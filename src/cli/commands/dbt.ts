import type { Command } from 'commander';
import type { RunCommand } from '../../dbt/run/runner.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import type { DbtFlags } from './dbt-actions.ts';
import { stateOptions } from './state-flags.ts';

/**
 * dbt's commands on dema: run, test, build, seed, compile, ls, parse, debug, clean, deps,
 * run-operation, show, source freshness. Only the options live here; the engine loads when one of them runs.
 */

const actions = () => import('./dbt-actions.ts');
const projectActions = () => import('./project-actions.ts');

type Runner = (work: (g: GlobalOptions, o: Output) => Promise<number>) => void;

function commonOptions(command: Command): Command {
  return command
    .option(
      '--project-dir <dir>',
      'the dbt project (default: nearest dbt_project.yml, else dema.yml project_dir)',
    )
    .option('--profiles-dir <dir>', 'where profiles.yml is (default: DBT_PROFILES_DIR, cwd, project, ~/.dbt)')
    .option('--vars <yaml>', "variables for var(), e.g. '{start: 2023-01-01}'")
    .option('--profile <name>', "the profiles.yml profile instead of dbt_project.yml's (or DBT_PROFILE)")
    .option(
      '--target-path <dir>',
      "where artifacts go instead of dbt_project.yml's target-path (or DBT_TARGET_PATH)",
    );
}

/** dbt's --selector (selectors.yml) and --indirect-selection, on the commands that select nodes to act on. */
function selectorOptions(command: Command): Command {
  return command
    .option('--selector <name>', 'a selector of selectors.yml (instead of --select/--exclude)')
    .option(
      '--indirect-selection <mode>',
      'tests taken with their parents: eager | cautious | buildable | empty (or DBT_INDIRECT_SELECTION)',
    );
}

function selectionOptions(command: Command): Command {
  return command
    .option('-s, --select <spec...>', 'nodes to include (dbt selection syntax)')
    .option('-m, --models <spec...>', 'alias of --select')
    .option('--exclude <spec...>', 'nodes to leave out');
}

export function registerDbt(program: Command, run: Runner): void {
  const commands: [RunCommand, string][] = [
    ['run', 'Build the selected models'],
    ['test', 'Run the data tests of the selected nodes'],
    ['build', 'Seeds, models and tests in DAG order; a failure skips what depends on it'],
    ['seed', 'Load the CSV seeds'],
    ['snapshot', 'Take the selected snapshots (SCD type 2 history tables)'],
    ['compile', 'Render the selected models and tests to target/compiled without running them'],
  ];
  for (const [name, description] of commands) {
    let command = stateOptions(
      selectorOptions(selectionOptions(commonOptions(program.command(name).description(description)))),
    );
    if (name === 'run' || name === 'build' || name === 'compile')
      command = command.option(
        '--empty',
        'refs and sources read zero rows: relations built schema-only (or DBT_EMPTY)',
      );
    command = command
      .option('--threads <n>', 'nodes run at once (default: the profile threads)')
      .option('--exclude-resource-type <type...>', 'resource types not to run (e.g. unit_test, test, seed)');
    if (name !== 'test' && name !== 'compile' && name !== 'snapshot')
      command = command.option('-f, --full-refresh', 'rebuild incremental models and seeds from scratch');
    if (name !== 'compile' && name !== 'seed' && name !== 'snapshot')
      command = command.option('--store-failures', 'keep failing test rows in <schema>_dbt_test__audit');
    command
      .option('-x, --fail-fast', 'stop at the first failure')
      .action((flags: DbtFlags & { models?: string[] }) =>
        run(async (global, output) => (await actions()).runCommandAction(global, flags, name, output)),
      );
  }

  stateOptions(
    selectorOptions(
      selectionOptions(
        commonOptions(program.command('ls').alias('list').description('List the selected nodes')),
      ),
    ),
  )
    .option('--resource-type <type...>', 'only these resource types (model, seed, test, source, operation)')
    .option('--output <format>', 'selector | name | path | json', 'selector')
    .action((flags: DbtFlags & { models?: string[]; resourceType?: string[]; output: string }) =>
      run(async (global, output) => (await actions()).listAction(global, flags, output)),
    );

  commonOptions(
    program.command('parse').description('Parse the project and write target/manifest.json'),
  ).action((flags: DbtFlags) =>
    run(async (global, output) => (await projectActions()).parseAction(global, flags, output)),
  );

  commonOptions(
    program.command('debug').description('Check the project, the profile and the warehouse connection'),
  ).action((flags: DbtFlags) =>
    run(async (global, output) => (await projectActions()).debugAction(global, flags, output)),
  );

  commonOptions(
    program
      .command('run-operation')
      .argument('<macro>', 'the macro: name, or package.name')
      .description("Call a macro against the warehouse (dbt's run-operation), e.g. codegen's generators"),
  )
    .option('--args <yaml>', "the macro's keyword arguments, e.g. '{model_names: [orders]}'")
    .action((macro: string, flags: DbtFlags & { args?: string }) =>
      run(async (global, output) =>
        (await import('./operation-action.ts')).operationAction(global, macro, flags, output),
      ),
    );

  stateOptions(
    selectionOptions(
      commonOptions(
        program
          .command('show')
          .description(
            "Run a model's compiled SQL (or --inline SQL) with a limit and print the rows; nothing is built",
          ),
      ),
    ),
  )
    .option('--inline <sql>', 'SQL to preview, Jinja included, e.g. "select * from {{ ref(\'orders\') }}"')
    .option('--limit <n>', 'rows to show (-1: all)', '5')
    .option('--output <format>', 'text | json', 'text')
    .action((flags: import('./show-action.ts').ShowFlags) =>
      run(async (global, output) => (await import('./show-action.ts')).showAction(global, flags, output)),
    );

  commonOptions(
    program
      .command('retry')
      .description(
        'Run the last run/build/test/seed/compile again, with its flags, on its failed and skipped nodes only',
      ),
  )
    .option('--threads <n>', "nodes run at once (default: the previous run's)")
    .action((flags: import('./retry-action.ts').RetryFlags) =>
      run(async (global, output) => (await import('./retry-action.ts')).retryAction(global, flags, output)),
    );

  const source = program.command('source').description('Commands on sources');
  selectorOptions(
    selectionOptions(
      commonOptions(
        source.command('freshness').description('Check how recent each source with a freshness rule is'),
      ),
    ),
  )
    .option('-o, --output <file>', 'where to write the results (default: target/sources.json)')
    .action((flags: DbtFlags & { models?: string[]; output?: string }) =>
      run(async (global, output) => (await projectActions()).freshnessAction(global, flags, output)),
    );

  // deps and clean need no profile, but dbt accepts its common flags on them too: a script that
  // passes --profiles-dir to every dbt command must run unchanged.
  commonOptions(
    program
      .command('deps')
      .description('Install the packages of packages.yml / dependencies.yml and write package-lock.yml'),
  )
    .option('--upgrade', 'resolve again even when package-lock.yml matches')
    .action((flags: { projectDir?: string; upgrade?: boolean }) =>
      run(async (_global, output) => (await projectActions()).depsAction(flags, output)),
    );

  commonOptions(
    program.command('clean').description("Delete the project's clean-targets (target/ by default)"),
  ).action((flags: { projectDir?: string }) =>
    run(async (_global, output) => (await projectActions()).cleanAction(flags, output)),
  );
}
