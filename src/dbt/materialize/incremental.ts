import { DemaError } from '../../errors.ts';
import { quoteString } from '../../warehouse/sql.ts';
import type { ColumnInfo } from '../../warehouse/warehouse.ts';
import type { DbtNode } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';
import {
  appendInsert,
  type ColumnChange,
  copyRows,
  createLike,
  createTableAs,
  diffColumns,
  dropTable,
  hasChanges,
  inPartitions,
  insertByName,
  legacyRebuild,
  matchingPartitions,
  replacedRows,
  schemaChangeStatements,
  type TableRef,
  uniqueKeyExpression,
} from './ddl.ts';
import type { Executor } from './executor.ts';
import { boundedKeyColumns, keyBounds } from './key-bounds.ts';
import {
  canExchange,
  ddlOptions,
  describeQuery,
  helperOf,
  type MaterializeEnv,
  rebuildTable,
} from './materialize.ts';
import { partitionIds, publishPartitions, publishWhole } from './publish.ts';

/**
 * The incremental strategies (dbt-semantics.md §7.5–7.9), each writing only helpers until one
 * publish statement (publish.ts):
 *   - legacy (the default): old rows not replaced + new rows in a helper, swapped in (dbt-clickhouse's way);
 *   - append, delete+insert, insert_overwrite: a helper shaped like the live table gets the new rows
 *     (and, for delete+insert, the kept rows of the partitions it touches); its partitions are then
 *     attached (nothing replaced) or replace the live ones. A MergeTree table without partition_by is
 *     one partition ('all'), so delete+insert with matches there rewrites the table.
 *   - a column change (on_schema_change append_new_columns / sync_all_columns) or a non-MergeTree
 *     engine: the helper gets every row and is swapped in whole.
 */

const STRATEGIES = new Set(['legacy', 'append', 'delete_insert', 'insert_overwrite']);

interface Plan {
  readonly node: DbtNode;
  readonly env: MaterializeEnv;
  readonly exec: Executor;
  readonly target: TableRef;
  readonly key: string | undefined;
  readonly mode: string;
  readonly existingColumns: ColumnInfo[];
  /** The columns of the model's SQL, when already described (column-names.ts). */
  readonly described: ColumnInfo[] | undefined;
}

function fullRefreshFor(node: DbtNode, env: MaterializeEnv): boolean {
  const own = node.config.full_refresh;
  return own === undefined || own === null ? env.fullRefresh : own === true;
}

function resolveStrategy(node: DbtNode, key: string | undefined): string {
  const strategy = String(node.config.incremental_strategy ?? 'default').replace('+', '_');
  const resolved =
    strategy === 'default' ? (node.config.use_lw_deletes === true ? 'delete_insert' : 'legacy') : strategy;
  const file = nodeFile(node);
  if (!STRATEGIES.has(resolved))
    throw new DemaError('EXEC_MODEL', `${file}: incremental_strategy "${strategy}" is not supported.`, {
      hint: 'Use legacy (the default), append, delete+insert or insert_overwrite.',
    });
  if (resolved === 'insert_overwrite') {
    if (key)
      throw new DemaError('EXEC_MODEL', `${file}: insert_overwrite does not take a unique_key.`, {
        hint: 'Remove unique_key, or use delete+insert.',
      });
    if (!node.config.partition_by)
      throw new DemaError('EXEC_MODEL', `${file}: insert_overwrite needs partition_by.`, {
        hint: 'Set partition_by to the partition expression.',
      });
    return resolved;
  }
  // Without a unique key there is nothing to replace: the rows are appended (as dbt-clickhouse does).
  return key ? resolved : 'append';
}

/** Runs an incremental model; returns the number of new rows. */
export async function incremental(
  node: DbtNode,
  sql: string,
  env: MaterializeEnv,
  exec: Executor,
  target: TableRef,
  described?: ColumnInfo[],
): Promise<number> {
  const existing = env.cache.get(target.schema, target.name);
  if (!existing || existing.type === 'view' || fullRefreshFor(node, env)) {
    await rebuildTable(node, sql, env, exec, target);
    return exec.count(target);
  }
  const key = uniqueKeyExpression(node.config);
  const plan: Plan = {
    node,
    env,
    exec,
    target,
    key,
    mode: String(node.config.on_schema_change ?? 'ignore'),
    existingColumns: env.cache.columns(target.schema, target.name),
    described,
  };
  const tmp = helperOf(target, 'tmp', env);
  const newData = helperOf(target, 'new_data', env);
  const backup = helperOf(target, 'backup', env);
  try {
    const strategy = resolveStrategy(node, key);
    if (strategy === 'legacy') return await legacy(plan, sql, newData, tmp, backup);
    return await intoLikeHelper(plan, strategy, sql, newData, tmp, backup);
  } finally {
    await exec.dropQuietly([newData, tmp, backup]);
  }
}

/** dbt-clickhouse's legacy strategy: a new table of the kept and the new rows, swapped in whole. */
async function legacy(plan: Plan, sql: string, newData: TableRef, tmp: TableRef, backup: TableRef) {
  const { node, env, exec, target, mode } = plan;
  await exec.run(dropTable(newData));
  await exec.run(createTableAs(newData, sql, node.config, ddlOptions(env)));
  const incoming = await env.warehouse.listColumns(newData.schema, newData.name);
  const change = diffColumns(plan.existingColumns, incoming);
  if (mode === 'fail') schemaChangeStatements(target, change, mode, node.name);
  const inserted = await exec.count(newData);
  // Nothing new and the same columns: the target is already right.
  if (inserted === 0 && !hasChanges(change)) return 0;
  const existingNames = new Set(plan.existingColumns.map((c) => c.name));
  const names = incoming.map((c) => c.name);
  await exec.run(dropTable(tmp));
  await exec.run(
    legacyRebuild(
      target,
      newData,
      tmp,
      plan.key!,
      names.filter((name) => existingNames.has(name)),
      names,
      node.config,
    ),
  );
  await exec.run(publishWhole(target, tmp, backup, 'table', { exchange: canExchange(env, target.schema) }));
  return inserted;
}

async function engineOf(plan: Plan): Promise<string> {
  const { rows } = await plan.env.warehouse.query<{ engine: string }>(
    `select engine from system.tables where database = ${quoteString(plan.target.schema)} and name = ${quoteString(plan.target.name)}`,
  );
  return rows[0]?.engine ?? '';
}

/**
 * append / delete+insert / insert_overwrite: `tmp` (shaped like the live table, with any column
 * change applied to it, never to the live table) gets the new rows, then what the strategy keeps.
 */
async function intoLikeHelper(
  plan: Plan,
  strategy: string,
  sql: string,
  newData: TableRef,
  tmp: TableRef,
  backup: TableRef,
): Promise<number> {
  const { node, env, exec, target, mode } = plan;
  const incoming = plan.described ?? (await describeQuery(env.warehouse, sql));
  const change: ColumnChange = diffColumns(plan.existingColumns, incoming);
  const reshaped = hasChanges(change) && mode !== 'ignore';
  if (mode === 'fail') schemaChangeStatements(target, change, mode, node.name);

  await exec.run(dropTable(tmp));
  await exec.run(createLike(tmp, target));
  await exec.run(schemaChangeStatements(tmp, change, mode, node.name));
  const columns = reshaped ? await env.warehouse.listColumns(tmp.schema, tmp.name) : plan.existingColumns;
  const incomingNames = new Set(incoming.map((c) => c.name));
  const newColumns = columns.map((c) => c.name).filter((name) => incomingNames.has(name));
  const existingNames = new Set(plan.existingColumns.map((c) => c.name));
  const keptColumns = columns.map((c) => c.name).filter((name) => existingNames.has(name));

  // The model's rows straight into the helper: by name, except append with ignored columns, which
  // keeps dbt-clickhouse's positional insert into the current columns.
  if (strategy === 'append' && mode === 'ignore')
    await exec.run(
      appendInsert(
        tmp,
        plan.existingColumns.map((c) => c.name),
        sql,
        node.config,
      ),
    );
  else await exec.run(insertByName(tmp, newColumns, sql, node.config));
  const inserted = await exec.count(tmp);
  if (inserted === 0 && !reshaped) return 0;

  const mergeTree = /MergeTree/.test(await engineOf(plan));
  const exchange = { exchange: canExchange(env, target.schema) };
  const newIds = mergeTree ? await partitionIds(env.warehouse, tmp) : [];
  if (strategy === 'append' && !reshaped && mergeTree) {
    await exec.run(publishPartitions(target, tmp, newIds, 'attach'));
    return inserted;
  }
  if (strategy === 'insert_overwrite' && !reshaped) {
    await exec.run(publishPartitions(target, tmp, newIds, 'replace'));
    return inserted;
  }
  // delete+insert: which live partitions hold rows the new ones replace (tmp holds only new rows now).
  const matchedIds =
    strategy === 'delete_insert' && mergeTree && !reshaped
      ? (
          await env.warehouse.query<{ partition_id: string }>(
            matchingPartitions(
              target,
              tmp,
              plan.key!,
              node.config,
              keyBounds(tmp, boundedKeyColumns(node.config, plan.existingColumns)),
            ),
          )
        ).rows.map((row) => row.partition_id)
      : undefined;
  // No live row is replaced (new keys only, the usual batch): the new rows are attached, nothing rewritten.
  if (matchedIds && matchedIds.length === 0) {
    await exec.run(publishPartitions(target, tmp, newIds, 'attach'));
    return inserted;
  }
  let keep: string | undefined;
  if (strategy === 'delete_insert') {
    // The new rows' keys, apart from the helper the kept rows are added to (hard links where partitioned).
    await exec.run(dropTable(newData));
    await exec.run(createLike(newData, tmp));
    if (mergeTree) await exec.run(publishPartitions(newData, tmp, newIds, 'attach'));
    else await exec.run(copyRows(newData, tmp, newColumns, undefined, node.config));
    keep = `not (${replacedRows(newData, plan.key!, node.config)})`;
  } else if (strategy === 'insert_overwrite' && newIds.length > 0) keep = `not (${inPartitions(newIds)})`;
  if (matchedIds) {
    // Only the touched partitions are rewritten, then replace their live counterparts.
    const touched = [...new Set([...newIds, ...matchedIds])].sort();
    await exec.run(
      copyRows(tmp, target, keptColumns, `${inPartitions(touched)}\n  and ${keep}`, node.config),
    );
    await exec.run(publishPartitions(target, tmp, touched, 'replace'));
    return inserted;
  }
  // A column change or a non-MergeTree engine: every kept row into the helper, swapped in whole.
  await exec.run(copyRows(tmp, target, keptColumns, keep, node.config));
  await exec.run(publishWhole(target, tmp, backup, 'table', exchange));
  return inserted;
}
