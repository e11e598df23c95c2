import { type DemaConfig, loadConfig } from '../config/dema-config.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import { connectWarehouse } from '../warehouse/connect.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export interface GlobalOptions {
  readonly config?: string;
  readonly target?: string;
  readonly json: boolean;
  readonly quiet: boolean;
}

/** Loads dema.yml, picks the target and opens its warehouse; the caller closes it. */
export async function openWarehouse(
  options: GlobalOptions,
): Promise<{ config: DemaConfig; warehouse: Warehouse }> {
  const config = loadConfig(options.config);
  const { target } = resolveTarget(config.targets, config.target, options.target, process.env, config.root);
  const warehouse = await connectWarehouse(target);
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
