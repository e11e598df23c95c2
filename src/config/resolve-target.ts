import { isAbsolute, resolve } from 'node:path';
import { DemaError } from '../errors.ts';
import type { TargetConfig } from './dema-config.ts';

type Env = Readonly<Record<string, string | undefined>>;

function envNumber(env: Env, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new DemaError('CONFIG_INVALID', `${name}=${value} is not a port number`, {
      hint: `Set ${name} to e.g. 8123.`,
    });
  return number;
}

/**
 * Picks the target (flag, then DEMA_TARGET, then the config's default) and applies the original
 * system's environment variables to a server target: CLICKHOUSE_HOST, CLICKHOUSE_PORT,
 * CLICKHOUSE_DB, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD.
 */
export function resolveTarget(
  targets: Readonly<Record<string, TargetConfig>>,
  defaultName: string,
  requested: string | undefined,
  env: Env,
  root: string,
): { name: string; target: TargetConfig } {
  const name = requested ?? env.DEMA_TARGET ?? defaultName;
  const target = targets[name];
  if (!target) {
    throw new DemaError('CONFIG_INVALID', `Unknown target "${name}".`, {
      hint: `Accepted targets: ${Object.keys(targets).join(', ') || '(none declared)'}.`,
    });
  }
  if (target.type === 'chdb') {
    return {
      name,
      target: { ...target, path: isAbsolute(target.path) ? target.path : resolve(root, target.path) },
    };
  }
  return {
    name,
    target: {
      ...target,
      host: env.CLICKHOUSE_HOST || target.host,
      port: envNumber(env, 'CLICKHOUSE_PORT') ?? target.port,
      schema: env.CLICKHOUSE_DB || target.schema,
      user: env.CLICKHOUSE_USER || target.user,
      password: env.CLICKHOUSE_PASSWORD ?? target.password,
    },
  };
}
