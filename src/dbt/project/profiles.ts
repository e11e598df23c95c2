import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { TargetConfig } from '../../config/dema-config.ts';
import { DemaError } from '../../errors.ts';
import { compileTemplate } from '../jinja/environment.ts';

type Env = Readonly<Record<string, string | undefined>>;

interface ProfilesSearch {
  profilesDir?: string;
  projectDir: string;
  cwd: string;
  env: Env;
}

/** Where dbt looks for profiles.yml, in order: --profiles-dir, DBT_PROFILES_DIR, the current directory, the project, ~/.dbt. */
export function profilesCandidates(options: ProfilesSearch): string[] {
  return [
    options.profilesDir,
    options.env.DBT_PROFILES_DIR,
    options.cwd,
    options.projectDir,
    join(homedir(), '.dbt'),
  ]
    .filter((dir): dir is string => Boolean(dir))
    .map((dir) => join(resolve(dir), 'profiles.yml'));
}

/** The first of `profilesCandidates` that exists. */
export function findProfilesFile(options: ProfilesSearch): string | undefined {
  return profilesCandidates(options).find((file) => existsSync(file));
}

/** Renders one profiles.yml value as dbt does: Jinja with env_var (always a string) and as_number / as_bool filters. */
export function renderProfileValue(text: string, env: Env, where: string): string {
  let missing: DemaError | undefined;
  const envVar = (name: string, fallback?: string) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return String(fallback);
    missing ??= new DemaError(
      'PROFILE_INVALID',
      `${where}: env_var('${name}') is not set and has no default.`,
      {
        hint: `Set ${name}, or give env_var a default: env_var('${name}', '…').`,
      },
    );
    return '';
  };
  let rendered: string;
  try {
    rendered = compileTemplate(text, where).render({
      has: (name) => name === 'env_var',
      get: () => envVar,
    });
  } catch (error) {
    throw new DemaError('PROFILE_INVALID', `${(error as Error).message}`, {
      hint: 'Fix the Jinja in profiles.yml.',
    });
  }
  if (missing) throw missing;
  return rendered;
}

/** Renders every string in a profile output; numbers-as-text stay text, converted where used. */
function renderOutput(value: unknown, env: Env, where: string): unknown {
  if (typeof value === 'string') return value.includes('{') ? renderProfileValue(value, env, where) : value;
  if (Array.isArray(value)) return value.map((item) => renderOutput(item, env, where));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderOutput(item, env, `${where}.${key}`)]),
    );
  return value;
}

const num = (value: unknown, fallback: number) =>
  value === undefined || value === null || value === '' ? fallback : Number(value);

/** Turns one dbt output (dbt-clickhouse keys, or dema's `type: chdb`) into a warehouse target. */
export function targetFromOutput(
  output: Record<string, unknown>,
  where: string,
  projectDir: string,
): TargetConfig {
  const type = output.type;
  if (type === 'chdb') {
    const path = String(output.path ?? '.dema/warehouse');
    return {
      type: 'chdb',
      path: isAbsolute(path) ? path : resolve(projectDir, path),
      schema: String(output.schema ?? 'default'),
      // dbt-clickhouse's custom_settings apply to every query of the session, on chDB as on a server.
      ...(output.custom_settings
        ? { settings: output.custom_settings as Record<string, string | number | boolean> }
        : {}),
    };
  }
  if (type === 'clickhouse') {
    const database = output.database;
    const schema = String(output.schema ?? 'default');
    if (database !== undefined && database !== '' && database !== schema)
      throw new DemaError(
        'PROFILE_INVALID',
        `${where}: database "${String(database)}" must be omitted or equal to schema "${schema}".`,
        {
          hint: 'ClickHouse has no schema level: the dbt schema is the ClickHouse database.',
        },
      );
    const secure = output.secure === true || output.secure === 'true';
    const driver = String(output.driver ?? 'http');
    if (driver !== 'http')
      throw new DemaError('PROFILE_INVALID', `${where}: driver "${driver}" is not supported.`, {
        hint: 'dema talks HTTP: set driver: http and an HTTP port (8123 / 8443).',
      });
    const settings = (output.custom_settings ?? {}) as Record<string, string | number | boolean>;
    return {
      type: 'clickhouse',
      host: String(output.host ?? 'localhost'),
      port: num(output.port, secure ? 8443 : 8123),
      secure,
      user: String(output.user ?? 'default'),
      password: String(output.password ?? ''),
      schema,
      request_timeout_ms: num(output.send_receive_timeout, 300) * 1000,
      settings,
    };
  }
  throw new DemaError('PROFILE_INVALID', `${where}: type "${String(type)}" is not supported.`, {
    hint: 'Use type: chdb (embedded, with path) or type: clickhouse (a server).',
  });
}

export interface ResolvedProfile {
  readonly file: string;
  readonly profileName: string;
  readonly targetName: string;
  readonly target: TargetConfig;
  readonly threads: number;
}

export function loadProfile(options: {
  profileName: string;
  targetName?: string;
  profilesDir?: string;
  projectDir: string;
  cwd: string;
  env: Env;
}): ResolvedProfile {
  const file = findProfilesFile(options);
  if (!file)
    throw new DemaError('PROFILE_INVALID', 'No profiles.yml found.', {
      hint: 'Put one in the project directory or ~/.dbt/, or pass --profiles-dir / set DBT_PROFILES_DIR.',
    });
  // Only the chosen profile and target are rendered, as dbt does: other targets may need variables this run lacks.
  const profiles = parse(readFileSync(file, 'utf8')) as Record<
    string,
    { target?: string; outputs?: Record<string, Record<string, unknown>> }
  >;
  const profile = profiles?.[options.profileName];
  if (!profile?.outputs)
    throw new DemaError('PROFILE_INVALID', `${file}: no profile "${options.profileName}" with outputs.`, {
      hint: `Profiles in the file: ${Object.keys(profiles ?? {}).join(', ') || '(none)'}.`,
    });
  const targetName =
    options.targetName ??
    options.env.DBT_TARGET ??
    (profile.target
      ? renderProfileValue(profile.target, options.env, `${file}: ${options.profileName}.target`)
      : 'default');
  const raw = profile.outputs[targetName];
  if (!raw)
    throw new DemaError(
      'PROFILE_INVALID',
      `${file}: profile "${options.profileName}" has no target "${targetName}".`,
      {
        hint: `Targets: ${Object.keys(profile.outputs).join(', ')}.`,
      },
    );
  const where = `${file}: ${options.profileName}.outputs.${targetName}`;
  const output = renderOutput(raw, options.env, where) as Record<string, unknown>;
  return {
    file,
    profileName: options.profileName,
    targetName,
    target: targetFromOutput(output, where, options.projectDir),
    threads: num(output.threads, 1),
  };
}
