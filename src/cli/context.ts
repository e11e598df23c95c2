import { resolve } from 'node:path';
import { type DemaConfig, loadConfig, type TargetConfig } from '../config/dema-config.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import { DemaError } from '../errors.ts';
import { type Reporter, silentReporter } from '../events.ts';
import { cleanupAtStart } from '../startup-cleanup.ts';
import { connectWarehouse } from '../warehouse/connect.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export interface GlobalOptions {
  readonly config?: string;
  readonly target?: string;
  readonly json: boolean;
  readonly quiet: boolean;
  /** dbt's global --warn-error / --warn-error-options (dbt commands read them). */
  readonly warnError?: boolean;
  readonly warnErrorOptions?: string;
  /** dbt's --log-format: `json` is dema's --json. */
  readonly logFormat?: string;
  /** --wait [SECONDS]: true without a value (wait as long as it takes). */
  readonly wait?: boolean | string;
  /** Where the startup cleanup reports what it repaired (set by main from the command's output). */
  readonly reporter?: Reporter;
}

/** How long to wait for the warehouse lock: --wait SECONDS, bare --wait for ever, else not at all. */
export function lockWaitMs(options: Pick<GlobalOptions, 'wait'>): number {
  if (options.wait === undefined || options.wait === false) return 0;
  if (options.wait === true) return Number.POSITIVE_INFINITY;
  const seconds = Number(options.wait);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new DemaError('USAGE', `--wait ${options.wait}: expected a number of seconds.`, {
      hint: 'e.g. --wait 60, or --wait alone to wait until the warehouse is free.',
    });
  return seconds * 1000;
}

/**
 * Opens a target's warehouse for one command: takes the warehouse lock (held until close), then
 * puts right what interrupted commands left (startup-cleanup.ts) before the command sees any data.
 */
export async function connectForCommand(
  target: TargetConfig,
  options: Pick<GlobalOptions, 'wait'>,
  reporter: Reporter,
  archiveDir?: string,
): Promise<Warehouse> {
  const warehouse = await connectWarehouse(target, { lock: { waitMs: lockWaitMs(options) } });
  try {
    await cleanupAtStart({ warehouse, reporter, ...(archiveDir ? { archiveDir } : {}) });
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  return warehouse;
}

/** Loads dema.yml, picks the target and opens its warehouse; the caller closes it. */
export async function openWarehouse(
  options: GlobalOptions,
  reporter: Reporter = options.reporter ?? silentReporter,
): Promise<{ config: DemaConfig; warehouse: Warehouse }> {
  const config = loadConfig(options.config);
  const { target } = resolveTarget(config.targets, config.target, options.target, process.env, config.root);
  const warehouse = await connectForCommand(
    target,
    options,
    reporter,
    resolve(config.root, config.archive_dir),
  );
  return { config, warehouse };
}

export async function withWarehouse<T>(
  options: GlobalOptions,
  work: (context: { config: DemaConfig; warehouse: Warehouse }) => Promise<T>,
): Promise<T> {
  const context = await openWarehouse(options);
  try {
    return await work(context);
  } finally {
    await context.warehouse.close();
  }
}
