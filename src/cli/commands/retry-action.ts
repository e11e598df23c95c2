import { join } from 'node:path';
import { loadProjectFile } from '../../dbt/project/project-file.ts';
import { resolveProjectDir } from '../../dbt/session.ts';
import { readRetryPlan } from '../../dbt/state/retry.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { type DbtFlags, runCommandAction } from './dbt-actions.ts';

export interface RetryFlags {
  readonly projectDir?: string;
  readonly profilesDir?: string;
  readonly threads?: string;
  readonly vars?: string;
  readonly profile?: string;
  readonly targetPath?: string;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The previous invocation's flags from its run_results.json args (--empty, --profile … too); --threads and --vars may be given anew (as dbt). */
function previousFlags(args: Readonly<Record<string, unknown>>, flags: RetryFlags): DbtFlags {
  const vars =
    flags.vars ??
    (typeof args.vars === 'string' ? args.vars : args.vars ? JSON.stringify(args.vars) : undefined);
  const threads = flags.threads ?? (args.threads !== undefined ? String(args.threads) : undefined);
  const state = text(args.state);
  const profilesDir = flags.profilesDir ?? text(args.profiles_dir);
  const profile = flags.profile ?? text(args.profile);
  return {
    ...(flags.projectDir ? { projectDir: flags.projectDir } : {}),
    ...(profilesDir ? { profilesDir } : {}),
    ...(vars ? { vars } : {}),
    ...(threads ? { threads } : {}),
    ...(profile ? { profile } : {}),
    ...(flags.targetPath ? { targetPath: flags.targetPath } : {}),
    empty: args.empty === true,
    fullRefresh: args.full_refresh === true,
    failFast: args.fail_fast === true,
    storeFailures: args.store_failures === true,
    excludeResourceType: Array.isArray(args.exclude_resource_types)
      ? args.exclude_resource_types.map(String)
      : [],
    ...(state ? { state, defer: args.defer === true, favorState: args.favor_state === true } : {}),
  };
}

/** `dema retry`: the last run/build/test/seed/compile again, on its failed and skipped nodes only. */
export async function retryAction(global: GlobalOptions, flags: RetryFlags, output: Output): Promise<number> {
  // The previous run's artifacts are where --target-path (which beats DBT_TARGET_PATH) put them.
  if (flags.targetPath) process.env.DBT_TARGET_PATH = flags.targetPath;
  const projectDir = resolveProjectDir(flags.projectDir, process.cwd(), process.env);
  const file = join(projectDir, loadProjectFile(projectDir).targetPath, 'run_results.json');
  const plan = readRetryPlan(file);
  if (plan.ids.size === 0) {
    output.reporter.emit({
      type: 'log',
      level: 'info',
      message: `Nothing to retry: the last ${plan.command} had no error, failure or skipped node.`,
    });
    return 0;
  }
  const target = global.target ?? text(plan.args.target);
  return runCommandAction(
    { ...global, ...(target ? { target } : {}) },
    { ...previousFlags(plan.args, flags), ...(flags.projectDir ? { projectDir: flags.projectDir } : {}) },
    plan.command,
    output,
    plan.ids,
  );
}
