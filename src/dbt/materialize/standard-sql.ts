import type { Warehouse } from '../../warehouse/warehouse.ts';

/**
 * The standard-SQL settings a view must carry in its own SETTINGS clause: those of
 * standardSessionSettings (capabilities.ts) that are on in this session. Asked of the engine, so a
 * target that switched one off (custom_settings / dema.yml settings) gets views without it.
 */
export async function standardViewSettings(warehouse: Warehouse): Promise<Record<string, number>> {
  if (!warehouse.capabilities.preferColumnNameToAliasSetting) return {};
  const { rows } = await warehouse.query<{ value: string }>(
    "select value from system.settings where name = 'prefer_column_name_to_alias'",
  );
  return String(rows[0]?.value ?? '0') === '1' ? { prefer_column_name_to_alias: 1 } : {};
}
