import { DemaError } from '../../errors.ts';
import { quoteIdent } from '../../warehouse/sql.ts';
import type { ColumnInfo, Warehouse } from '../../warehouse/warehouse.ts';
import type { RelationCache } from '../compile/relation-cache.ts';
import type { DbtNode } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';
import { withStandardColumnNames } from './column-names.ts';
import { createTableAs, createView, dropTable, type TableRef } from './ddl.ts';
import { Executor } from './executor.ts';
import { incremental } from './incremental.ts';
import { helperName, type LiveState, publishWhole } from './publish.ts';

/**
 * Runs a model's materialization against the warehouse; the SQL comes from the pure builders in
 * ddl.ts, and every table a model writes reaches its live name through the publish protocol
 * (publish.ts): built complete in a helper first, then swapped, renamed or moved in one statement.
 */

export { helperName } from './publish.ts';

export interface MaterializeEnv {
  readonly warehouse: Warehouse;
  readonly cache: RelationCache;
  readonly invocationId: string;
  readonly fullRefresh: boolean;
  /** Aborted on SIGINT/SIGTERM: the materialization stops before its next statement. */
  readonly signal?: AbortSignal;
  /** Settings a view stores in its SELECT so every reader analyses it alike (standardViewSettings). */
  readonly viewSettings?: Readonly<Record<string, unknown>>;
  /** --empty: inputs read zero rows, so a snapshot that exists must not merge (it would see every key deleted). */
  readonly empty?: boolean;
}

export interface Outcome {
  readonly message: string;
  readonly rowsWritten?: number;
  readonly bytesRead: number;
  /** Every statement run, in order, for target/run. */
  readonly statements: string[];
}

export function canExchange(env: MaterializeEnv, schema: string): boolean {
  const engine = env.cache.databaseEngine(schema);
  return (
    env.warehouse.capabilities.exchangeTables &&
    (engine === 'Atomic' || engine === 'Replicated' || engine === 'Shared')
  );
}

export const ddlOptions = (env: MaterializeEnv) => ({
  createEmptyAs: env.warehouse.capabilities.createEmptyAs,
});

export const helperOf = (target: TableRef, role: 'tmp' | 'backup' | 'new_data', env: MaterializeEnv) => ({
  schema: target.schema,
  name: helperName(target.name, role, env.invocationId),
});

export function liveState(env: MaterializeEnv, target: TableRef): LiveState {
  const existing = env.cache.get(target.schema, target.name);
  return !existing ? 'absent' : existing.type === 'view' ? 'view' : 'table';
}

export async function materializeModel(
  node: DbtNode,
  compiledSql: string,
  env: MaterializeEnv,
): Promise<Outcome> {
  const { sql, columns } = await withStandardColumnNames(node, compiledSql, env.warehouse);
  const exec = new Executor(env.warehouse, env.signal);
  const target: TableRef = { schema: node.schema, name: node.alias };
  const materialized = String(node.config.materialized);
  let message: string;
  let rows: number | undefined;
  if (materialized === 'view') {
    const existing = env.cache.get(target.schema, target.name);
    if (existing && existing.type !== 'view') await exec.run(dropTable(target));
    await exec.run(
      createView(target, sql, node.config, {
        orReplace: env.warehouse.capabilities.createOrReplaceView,
        ...(env.viewSettings ? { viewSettings: env.viewSettings } : {}),
      }),
    );
    message = 'OK';
  } else if (materialized === 'table') {
    await rebuildTable(node, sql, env, exec, target);
    rows = await exec.count(target);
    message = `OK ${rows}`;
  } else if (materialized === 'incremental') {
    rows = await incremental(node, sql, env, exec, target, columns);
    message = `OK ${rows}`;
  } else {
    throw new DemaError(
      'EXEC_MODEL',
      `${nodeFile(node)}: materialization "${materialized}" is not supported.`,
      {
        hint: 'Use view, table, incremental or ephemeral.',
      },
    );
  }
  await env.cache.refresh(target.schema, target.name);
  return {
    message,
    ...(rows !== undefined ? { rowsWritten: rows } : {}),
    bytesRead: exec.bytesRead,
    statements: exec.statements,
  };
}

/** The model's rows into a helper, then the helper in place of the live relation (first build included). */
export async function rebuildTable(
  node: DbtNode,
  sql: string,
  env: MaterializeEnv,
  exec: Executor,
  target: TableRef,
): Promise<void> {
  const helper = helperOf(target, 'tmp', env);
  const backup = helperOf(target, 'backup', env);
  try {
    await exec.run(dropTable(helper));
    await exec.run(createTableAs(helper, sql, node.config, ddlOptions(env)));
    await exec.run(
      publishWhole(target, helper, backup, liveState(env, target), {
        exchange: canExchange(env, target.schema),
      }),
    );
  } finally {
    await exec.dropQuietly([helper, backup]);
  }
}

/** The columns a query produces, without running it. */
export async function describeQuery(warehouse: Warehouse, sql: string): Promise<ColumnInfo[]> {
  const { rows } = await warehouse.query<{ name: string; type: string }>(`describe (\n${sql.trim()}\n)`);
  return rows.map((row) => ({ name: row.name, type: row.type }));
}

export const createSchema = (schema: string) => `create database if not exists ${quoteIdent(schema)}`;
