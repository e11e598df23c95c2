import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { GENERATE_DEFAULTS, type GenerateOptions, generate } from '../../src/generate/generate.ts';
import { INVENTORY_COLUMNS, ORDER_COLUMNS } from './fixtures.ts';

const PROJECT = fileURLToPath(new URL('../../project', import.meta.url));

/**
 * A copy of the dema project in `dir` with generated exports for two merchants in two currencies
 * and a dema.yml declaring one inventory and one orders source per merchant (embedded target).
 */
export async function writeMultiMerchantProject(dir: string, options: Partial<GenerateOptions>) {
  cpSync(PROJECT, join(dir, 'project'), { recursive: true, filter: (source) => !source.includes('/target') });
  const merchants = await generate({
    ...GENERATE_DEFAULTS,
    outDir: join(dir, 'data'),
    merchants: 2,
    currencies: ['SEK', 'EUR'],
    months: 4,
    ...options,
  });
  const sources = merchants.flatMap((m) => [
    {
      name: `inventory_${m.merchant}`,
      location: m.inventoryPath,
      table: 'inventory',
      columns: INVENTORY_COLUMNS,
      key: ['productId'],
      merchant: m.merchant,
    },
    {
      name: `orders_${m.merchant}`,
      location: m.ordersPath,
      table: 'orders',
      columns: ORDER_COLUMNS,
      key: ['orderId', 'productId', 'dateTime'],
      merchant: m.merchant,
    },
  ]);
  writeFileSync(
    join(dir, 'dema.yml'),
    stringify({
      target: 'embedded',
      targets: { embedded: { type: 'chdb', path: '.dema/warehouse', schema: 'dema' } },
      archive_dir: 'data/raw',
      sources,
    }),
  );
  return merchants;
}
