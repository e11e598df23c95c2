import { resolve } from 'node:path';
import type { Command } from 'commander';
import { envFlag } from '../../dbt/env-flag.ts';
import { stateMethods } from '../../dbt/state/methods.ts';
import { loadPreviousState } from '../../dbt/state/previous-state.ts';
import { DemaError } from '../../errors.ts';
import type { DbtFlags, PreparedProject } from './dbt-actions.ts';

/** Slim CI's flags as dbt's: --state (DBT_STATE), --defer (DBT_DEFER), --favor-state (DBT_FAVOR_STATE). */

type Env = Readonly<Record<string, string | undefined>>;

export function stateOptions(command: Command): Command {
  return command
    .option(
      '--state <dir>',
      'artifacts of an earlier run to compare with (state:, result:, --defer); env DBT_STATE',
    )
    .option(
      '--defer',
      "resolve ref()s to unselected nodes missing here to --state's relations; env DBT_DEFER",
    )
    .option(
      '--favor-state',
      "with --defer: unselected nodes always read --state's relations; env DBT_FAVOR_STATE",
    );
}

/** The state directory, defer and favor-state in force: the flag, else dbt's environment variables. */
export function stateSettings(flags: DbtFlags, env: Env) {
  const dir = flags.state ?? env.DBT_STATE ?? env.DBT_ENGINE_STATE;
  const defer = flags.defer ?? (envFlag(env.DBT_DEFER) || envFlag(env.DBT_ENGINE_DEFER));
  const favorState =
    flags.favorState ?? (envFlag(env.DBT_FAVOR_STATE) || envFlag(env.DBT_ENGINE_FAVOR_STATE));
  return { dir: dir === '' ? undefined : dir, defer, favorState };
}

/**
 * Loads --state (commands that take it: run, test, build, seed, compile, ls, show) and attaches its
 * selector methods and, with --defer, the deferral to the project's Jinja context (ref() resolution,
 * compile/context.ts).
 */
export function withState(prepared: PreparedProject, flags: DbtFlags): PreparedProject {
  const settings = stateSettings(flags, process.env);
  if (!settings.dir) {
    if (settings.defer)
      throw new DemaError('USAGE', 'Got --defer, but no --state to defer to.', {
        hint: 'Pass --state DIR (or set DBT_STATE), DIR holding the manifest.json of the run to defer to.',
      });
    return prepared;
  }
  const { parsed } = prepared;
  const state = loadPreviousState(settings.dir, process.cwd());
  const methods = stateMethods(parsed, state);
  if (!settings.defer) return { ...prepared, methods };
  const context = { ...parsed.context, defer: { state, favorState: settings.favorState } };
  return { ...prepared, parsed: { ...parsed, context }, methods };
}

/** What `dema retry` needs in run_results.json `args` to run the same command again. */
export function retryArgs(
  flags: DbtFlags & { models?: string[] },
  /** The command read --state (a pipeline's build never does, whatever DBT_STATE says). */
  stateRead: boolean,
): Record<string, unknown> {
  const settings = stateRead
    ? stateSettings(flags, process.env)
    : { dir: undefined, defer: false, favorState: false };
  return {
    vars: flags.vars ?? null,
    profile: flags.profile ?? null,
    project_dir: flags.projectDir ? resolve(flags.projectDir) : null,
    profiles_dir: flags.profilesDir ? resolve(flags.profilesDir) : null,
    fail_fast: flags.failFast === true,
    store_failures: flags.storeFailures === true,
    exclude_resource_types: flags.excludeResourceType ?? [],
    state: settings.dir ? resolve(settings.dir) : null,
    defer: settings.defer,
    favor_state: settings.favorState,
  };
}
