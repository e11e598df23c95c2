import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findConfigFile, loadConfig, type TargetConfig } from '../config/dema-config.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import { DemaError } from '../errors.ts';
import { findProfilesFile, loadProfile } from './project/profiles.ts';
import { loadProjectFile } from './project/project-file.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the dbt project is: --project-dir, DBT_PROJECT_DIR, the nearest dbt_project.yml above cwd, or dema.yml's project_dir. */
export function resolveProjectDir(flag: string | undefined, cwd: string, env: Env): string {
  if (flag) return resolve(cwd, flag);
  if (env.DBT_PROJECT_DIR) return resolve(cwd, env.DBT_PROJECT_DIR);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'dbt_project.yml'))) return dir;
    if (dirname(dir) === dir) break;
  }
  const config = findConfigFile(cwd);
  if (config) {
    const projectDir = resolve(dirname(config), loadConfig(config).project_dir);
    if (existsSync(join(projectDir, 'dbt_project.yml'))) return projectDir;
  }
  throw new DemaError('PARSE_PROJECT', `No dbt_project.yml at or above ${cwd}.`, {
    hint: 'Run from a dbt project, or pass --project-dir.',
  });
}

export interface DbtTarget {
  readonly name: string;
  readonly profileName: string;
  readonly target: TargetConfig;
  readonly threads: number;
  /** `target` as Jinja sees it: the output without secrets. */
  readonly context: Record<string, unknown>;
}

/** The warehouse a dbt command uses: profiles.yml as dbt finds it, else the targets of dema.yml. */
export function resolveDbtTarget(options: {
  projectDir: string;
  profilesDir?: string;
  targetName?: string;
  /** --profile: the profiles.yml profile instead of dbt_project.yml's `profile:`. */
  profileName?: string;
  cwd: string;
  env: Env;
}): DbtTarget {
  const loaded = loadProjectFile(options.projectDir);
  const project = options.profileName ? { ...loaded, profile: options.profileName } : loaded;
  const profilesFile = findProfilesFile({
    ...(options.profilesDir ? { profilesDir: options.profilesDir } : {}),
    projectDir: options.projectDir,
    cwd: options.cwd,
    env: options.env,
  });
  let name: string;
  let target: TargetConfig;
  let threads = 1;
  if (profilesFile || !findConfigFile(options.projectDir)) {
    const profile = loadProfile({
      profileName: project.profile,
      ...(options.targetName ? { targetName: options.targetName } : {}),
      ...(options.profilesDir ? { profilesDir: options.profilesDir } : {}),
      projectDir: options.projectDir,
      cwd: options.cwd,
      env: options.env,
    });
    name = profile.targetName;
    target = profile.target;
    threads = profile.threads;
  } else {
    const config = loadConfig(findConfigFile(options.projectDir));
    ({ name, target } = resolveTarget(
      config.targets,
      config.target,
      options.targetName,
      options.env,
      config.root,
    ));
  }
  const { password: _password, ...visible } = target as TargetConfig & { password?: string };
  return {
    name,
    profileName: project.profile,
    target,
    threads,
    context: {
      ...visible,
      name,
      target_name: name,
      profile_name: project.profile,
      threads,
      type: 'clickhouse',
      database: '',
      schema: target.schema,
    },
  };
}

/** `--vars '{key: value}'` (YAML or JSON). */
export function parseVars(text: string | undefined, flag = '--vars'): Record<string, unknown> {
  if (!text) return {};
  const example =
    flag === '--vars' ? `--vars '{start_date: "2023-01-01"}'` : `${flag} '{model_names: [orders]}'`;
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new DemaError('USAGE', `${flag} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: `e.g. ${example}`,
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new DemaError('USAGE', `${flag} must be a mapping.`, { hint: `e.g. ${example}` });
  return value as Record<string, unknown>;
}
