import { quoteString } from '../../warehouse/sql.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { dropTable, dropView, movePartitions, rel, renameInto, swapIntoPlace, type TableRef } from './ddl.ts';

/**
 * The publish protocol: how a model's new contents reach its live relation.
 *
 * Invariant: every statement of a materialization writes only helper tables, until the helper holds
 * the complete new contents; then ONE statement that the engine applies as a unit changes the live
 * relation:
 *   - `EXCHANGE TABLES helper AND live` (engines that have it, in Atomic-like databases: chDB 26.7);
 *   - `RENAME TABLE live TO backup, helper TO live` (one statement; the 18.16 server);
 *   - `RENAME TABLE helper TO live` on a first build (nothing is live yet);
 *   - `ALTER TABLE live REPLACE|ATTACH PARTITION ID … FROM helper` (one ALTER naming every partition;
 *     each partition's parts move as a unit, no data is rewritten in the live table).
 * So a failure at any statement before it leaves the live relation absent (first build) or exactly
 * as it was. The one exception is replacing a view by a table (DROP VIEW, then the rename).
 *
 * Helpers are named `<alias>__dbt_<role>_<12 hex of the invocation id>`. Each node drops its own
 * helpers when it ends, whatever happens; an interrupted invocation drops every helper carrying its id
 * before it exits; helpers left by a dead process (kill -9, power loss) are dropped at the start of
 * the next dbt command — the warehouse lock guarantees no other dema process is working on it.
 */

export type HelperRole = 'tmp' | 'backup' | 'new_data';

const invocationTag = (invocationId: string) => invocationId.replace(/-/g, '').slice(0, 12);

/** Per-invocation helper names, so two runs never collide on a helper table. */
export function helperName(alias: string, role: HelperRole, invocationId: string): string {
  return `${alias}__dbt_${role}_${invocationTag(invocationId)}`;
}

const HELPER = /__dbt_(tmp|backup|new_data)_([0-9a-f]{12})$/;

/** Is `name` a dema helper table (of `invocationId` when given)? */
export function isHelper(name: string, invocationId?: string): boolean {
  const match = HELPER.exec(name);
  return match !== null && (invocationId === undefined || match[2] === invocationTag(invocationId));
}

/** What the live relation is before publishing. */
export type LiveState = 'absent' | 'table' | 'view';

/** The statements that put a complete helper in place of the live relation (see the invariant). */
export function publishWhole(
  live: TableRef,
  helper: TableRef,
  backup: TableRef,
  state: LiveState,
  options: { exchange: boolean },
): string[] {
  if (state === 'absent') return [renameInto(helper, live)];
  if (state === 'view') return [dropView(live), renameInto(helper, live)];
  return swapIntoPlace(live, helper, backup, options);
}

/** The statement that moves a complete helper's partitions into the live table (replacing or adding). */
export function publishPartitions(
  live: TableRef,
  helper: TableRef,
  partitionIds: readonly string[],
  mode: 'replace' | 'attach',
): string[] {
  return movePartitions(live, helper, partitionIds, mode);
}

/** The partition ids that hold rows in a table (MergeTree family). */
export async function partitionIds(warehouse: Warehouse, table: TableRef): Promise<string[]> {
  const { rows } = await warehouse.query<{ partition_id: string }>(
    `select distinct partition_id from system.parts where active and database = ${quoteString(table.schema)} and table = ${quoteString(table.name)} order by partition_id`,
  );
  return rows.map((row) => row.partition_id);
}

/**
 * Drops helper tables in `schemas`: every dema helper (left by a dead invocation) when no invocation
 * is given, else only that invocation's. Returns the names dropped.
 */
export async function dropHelpers(
  warehouse: Warehouse,
  schemas: Iterable<string>,
  invocationId?: string,
): Promise<string[]> {
  const list = [...new Set(schemas)];
  if (list.length === 0) return [];
  const { rows } = await warehouse.query<{ database: string; name: string }>(
    `select database, name from system.tables where database in (${list.map(quoteString).join(', ')}) and name like '%\\_\\_dbt\\_%'`,
  );
  const dropped: string[] = [];
  for (const row of rows) {
    if (!isHelper(row.name, invocationId)) continue;
    await warehouse.command(dropTable({ schema: row.database, name: row.name }));
    dropped.push(`${rel({ schema: row.database, name: row.name })}`);
  }
  return dropped;
}
