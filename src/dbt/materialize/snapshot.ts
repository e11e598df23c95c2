import { DemaError } from '../../errors.ts';
import type { DbtNode } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';
import { createLike, createTableAs, dropTable, rel, type TableRef } from './ddl.ts';
import { Executor } from './executor.ts';
import {
  canExchange,
  ddlOptions,
  describeQuery,
  helperOf,
  liveState,
  type MaterializeEnv,
  type Outcome,
} from './materialize.ts';
import { publishWhole } from './publish.ts';
import {
  addColumns,
  carryHistory,
  insertDeletions,
  insertVersions,
  type MergeInput,
  planOf,
  type SnapshotPlan,
  stagingSelect,
} from './snapshot-sql.ts';

/**
 * Runs a snapshot (SQL in snapshot-sql.ts). The first run builds the table in a helper and renames
 * it in; a later run builds the whole next table in a helper (staging + next, never writing the
 * live table) and swaps it in with the publish protocol (publish.ts), so a run that fails at any
 * statement leaves the live snapshot exactly as it was.
 */

export async function materializeSnapshot(node: DbtNode, sql: string, env: MaterializeEnv): Promise<Outcome> {
  const exec = new Executor(env.warehouse, env.signal);
  const live: TableRef = { schema: node.schema, name: node.alias };
  const state = liveState(env, live);
  if (state === 'view')
    throw new DemaError(
      'EXEC_MODEL',
      `${nodeFile(node)}: ${node.relationName} is a view, not a snapshot table.`,
      {
        hint: 'Drop the view (or give the snapshot another alias) and run again.',
      },
    );
  // An --empty run reads no source rows: merging them would close (or delete) every current row.
  // The history is left as it is; a first run still creates the table, schema-only.
  if (env.empty && state !== 'absent')
    return { message: 'NO-OP (--empty keeps the history)', rowsWritten: 0, bytesRead: 0, statements: [] };
  const { rows } = await env.warehouse.query<{ t: string }>('select toString(now()) as t');
  const snapshotTime = `toDateTime('${rows[0]!.t}')`;
  const sourceColumns = (await describeQuery(env.warehouse, sql)).map((c) => c.name);
  const plan = planOf(node.config, sourceColumns, snapshotTime);
  const staging = helperOf(live, 'new_data', env);
  const next = helperOf(live, 'tmp', env);
  const backup = helperOf(live, 'backup', env);
  try {
    if (state === 'absent') {
      await exec.run(dropTable(next));
      await exec.run(createTableAs(next, stagingSelect(sql, plan), node.config, ddlOptions(env)));
      await exec.run(publishWhole(live, next, backup, 'absent', { exchange: false }));
    } else {
      await mergeIntoNext(node, sql, plan, env, exec, { live, staging, next });
      await exec.run(publishWhole(live, next, backup, 'table', { exchange: canExchange(env, live.schema) }));
    }
  } finally {
    await exec.dropQuietly([staging, next, backup]);
  }
  await env.cache.refresh(live.schema, live.name);
  const count = await exec.count(live);
  return {
    message: `OK ${count}`,
    rowsWritten: count,
    bytesRead: exec.bytesRead,
    statements: exec.statements,
  };
}

/** A later run: the staging table, then the whole next table (live rows + new versions) in `next`. */
async function mergeIntoNext(
  node: DbtNode,
  sql: string,
  sourcePlan: SnapshotPlan,
  env: MaterializeEnv,
  exec: Executor,
  tables: { live: TableRef; staging: TableRef; next: TableRef },
): Promise<void> {
  const { live, staging, next } = tables;
  await exec.run([dropTable(staging), dropTable(next)]);
  await exec.run(createTableAs(staging, stagingSelect(sql, sourcePlan), {}, ddlOptions(env)));
  const liveColumns = await describeQuery(env.warehouse, `select * from ${rel(live)}`);
  const stagingColumns = await describeQuery(env.warehouse, `select * from ${rel(staging)}`);
  const has = (name: string) => liveColumns.some((column) => column.name === name);
  const missing = ['dbt_scd_id', 'dbt_valid_from', 'dbt_valid_to'].filter((name) => !has(name));
  if (sourcePlan.hardDeletes === 'new_record' && !has('dbt_is_deleted')) missing.push('dbt_is_deleted');
  if (missing.length > 0)
    throw new DemaError(
      'EXEC_MODEL',
      `${nodeFile(node)}: ${node.relationName} has no column ${missing.join(', ')}: it is not a snapshot table of this configuration.`,
      {
        hint: 'Drop the table to take the snapshot afresh (its history is lost), or point the snapshot elsewhere.',
      },
    );
  const added = stagingColumns.filter((column) => !has(column.name));
  // A checked column new in the source changes every current row (dbt's column_added); the others
  // compare with the live table's.
  const plan = { ...sourcePlan, checkCols: sourcePlan.checkCols.filter(has) };
  const typeOf = (name: string) =>
    liveColumns.find((column) => column.name === name)!.type.replace(/^Nullable\((.*)\)$/, '$1');
  const input: MergeInput = {
    live,
    staging,
    next,
    liveColumns: liveColumns.map((column) => column.name),
    stagingColumns: stagingColumns.map((column) => column.name),
    validFromType: typeOf('dbt_valid_from'),
    columnAdded: added.some((column) => sourcePlan.checkCols.includes(column.name)),
  };
  await exec.run(createLike(next, live));
  await exec.run(addColumns(next, added));
  await exec.run(carryHistory(plan, input));
  await exec.run(insertVersions(plan, input));
  if (plan.hardDeletes === 'new_record')
    await exec.run(insertDeletions(plan, input, typeOf('dbt_updated_at')));
}
