import { standardSessionSettings } from '../../warehouse/capabilities.ts';
import { quoteString } from '../../warehouse/sql.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';

/**
 * The standard-SQL settings a view must carry in its own SETTINGS clause: those of
 * standardSessionSettings (capabilities.ts) that are on in this session. Asked of the engine, so a
 * target that switched one off (custom_settings / dema.yml settings) gets views without it.
 */
export async function standardViewSettings(warehouse: Warehouse): Promise<Record<string, number>> {
  const names = Object.keys(standardSessionSettings(warehouse.capabilities));
  if (names.length === 0) return {};
  const { rows } = await warehouse.query<{ name: string; value: string }>(
    `select name, value from system.settings where name in (${names.map(quoteString).join(', ')})`,
  );
  return Object.fromEntries(rows.filter((row) => String(row.value) === '1').map((row) => [row.name, 1]));
}
