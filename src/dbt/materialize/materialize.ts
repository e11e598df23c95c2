import { DemaError } from '../../errors.ts';
import { quoteIdent, quoteString } from '../../warehouse/sql.ts';
import type { ColumnInfo, StatementStats, Warehouse } from '../../warehouse/warehouse.ts';
import type { RelationCache } from '../compile/relation-cache.ts';
import type { DbtNode } from '../manifest/types.ts';
import { withStandardColumnNames } from './column-names.ts';
import {
  appendInsert,
  createTableAs,
  createView,
  deleteInsert,
  diffColumns,
  dropTable,
  dropView,
  hasChanges,
  legacyRebuild,
  rel,
  replacePartitions,
  schemaChangeStatements,
  swapIntoPlace,
  type TableRef,
  uniqueKeyExpression,
} from './ddl.ts';

/** Runs a model's materialization against the warehouse; the SQL comes from the pure builders in ddl.ts. */

export interface MaterializeEnv {
  readonly warehouse: Warehouse;
  readonly cache: RelationCache;
  readonly invocationId: string;
  readonly fullRefresh: boolean;
}

export interface Outcome {
  readonly message: string;
  readonly rowsWritten?: number;
  readonly bytesRead: number;
  /** Every statement run, in order, for target/run. */
  readonly statements: string[];
}

class Executor {
  readonly statements: string[] = [];
  bytesRead = 0;
  rowsWritten = 0;

  constructor(private readonly warehouse: Warehouse) {}

  async run(sql: string | string[]): Promise<void> {
    for (const statement of Array.isArray(sql) ? sql : [sql]) {
      this.statements.push(statement);
      const stats: StatementStats = await this.warehouse.command(statement);
      this.bytesRead += stats.bytesRead;
      this.rowsWritten += stats.rowsWritten;
    }
  }

  async count(table: TableRef): Promise<number> {
    const { rows } = await this.warehouse.query<{ n: string | number }>(
      `select count() as n from ${rel(table)}`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/** Per-invocation helper names, so two runs never collide on a temporary table. */
export function helperName(alias: string, role: 'tmp' | 'backup' | 'new_data', invocationId: string): string {
  return `${alias}__dbt_${role}_${invocationId.replace(/-/g, '').slice(0, 12)}`;
}

function fullRefreshFor(node: DbtNode, env: MaterializeEnv): boolean {
  const own = node.config.full_refresh;
  return own === undefined || own === null ? env.fullRefresh : own === true;
}

function canExchange(env: MaterializeEnv, schema: string): boolean {
  const engine = env.cache.databaseEngine(schema);
  return (
    env.warehouse.capabilities.exchangeTables &&
    (engine === 'Atomic' || engine === 'Replicated' || engine === 'Shared')
  );
}

const ddlOptions = (env: MaterializeEnv) => ({ createEmptyAs: env.warehouse.capabilities.createEmptyAs });

export async function materializeModel(
  node: DbtNode,
  compiledSql: string,
  env: MaterializeEnv,
): Promise<Outcome> {
  const sql = await withStandardColumnNames(node, compiledSql, env.warehouse);
  const exec = new Executor(env.warehouse);
  const target: TableRef = { schema: node.schema, name: node.alias };
  const materialized = String(node.config.materialized);
  let message: string;
  let rows: number | undefined;
  if (materialized === 'view') {
    const existing = env.cache.get(target.schema, target.name);
    if (existing && existing.type !== 'view') await exec.run(dropTable(target));
    await exec.run(
      createView(target, sql, node.config, { orReplace: env.warehouse.capabilities.createOrReplaceView }),
    );
    message = 'OK';
  } else if (materialized === 'table') {
    await rebuildTable(node, sql, env, exec, target);
    rows = await exec.count(target);
    message = `OK ${rows}`;
  } else if (materialized === 'incremental') {
    rows = await incremental(node, sql, env, exec, target);
    message = `OK ${rows}`;
  } else {
    throw new DemaError(
      'EXEC_MODEL',
      `${node.originalFilePath}: materialization "${materialized}" is not supported.`,
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

/** Builds the new table beside the live one and swaps it in: never a moment with no table or a half-built one. */
async function rebuildTable(
  node: DbtNode,
  sql: string,
  env: MaterializeEnv,
  exec: Executor,
  target: TableRef,
): Promise<void> {
  const existing = env.cache.get(target.schema, target.name);
  if (!existing) {
    await exec.run(createTableAs(target, sql, node.config, ddlOptions(env)));
    return;
  }
  const intermediate = { schema: target.schema, name: helperName(target.name, 'tmp', env.invocationId) };
  const backup = { schema: target.schema, name: helperName(target.name, 'backup', env.invocationId) };
  await exec.run(dropTable(intermediate));
  try {
    await exec.run(createTableAs(intermediate, sql, node.config, ddlOptions(env)));
  } catch (error) {
    await env.warehouse.command(dropTable(intermediate)).catch(() => undefined);
    throw error;
  }
  if (existing.type === 'view') {
    await exec.run([dropView(target), `rename table ${rel(intermediate)} to ${rel(target)}`]);
    return;
  }
  await exec.run(swapIntoPlace(target, intermediate, backup, { exchange: canExchange(env, target.schema) }));
}

const STRATEGIES = new Set(['legacy', 'append', 'delete_insert', 'insert_overwrite']);

async function incremental(
  node: DbtNode,
  sql: string,
  env: MaterializeEnv,
  exec: Executor,
  target: TableRef,
): Promise<number> {
  const existing = env.cache.get(target.schema, target.name);
  if (!existing || existing.type === 'view' || fullRefreshFor(node, env)) {
    await rebuildTable(node, sql, env, exec, target);
    return exec.count(target);
  }
  const strategy = String(node.config.incremental_strategy ?? 'default').replace('+', '_');
  const resolved =
    strategy === 'default' ? (node.config.use_lw_deletes === true ? 'delete_insert' : 'legacy') : strategy;
  if (!STRATEGIES.has(resolved))
    throw new DemaError(
      'EXEC_MODEL',
      `${node.originalFilePath}: incremental_strategy "${strategy}" is not supported.`,
      {
        hint: 'Use legacy (the default), append, delete+insert or insert_overwrite.',
      },
    );
  const key = uniqueKeyExpression(node.config);
  const mode = String(node.config.on_schema_change ?? 'ignore');
  const existingColumns = env.cache.columns(target.schema, target.name);

  if (resolved === 'insert_overwrite') {
    if (key)
      throw new DemaError(
        'EXEC_MODEL',
        `${node.originalFilePath}: insert_overwrite does not take a unique_key.`,
        { hint: 'Remove unique_key, or use delete+insert.' },
      );
    if (!node.config.partition_by)
      throw new DemaError('EXEC_MODEL', `${node.originalFilePath}: insert_overwrite needs partition_by.`, {
        hint: 'Set partition_by to the partition expression.',
      });
  }

  if (resolved === 'append' || (!key && resolved !== 'insert_overwrite')) {
    const incoming = await describeQuery(env.warehouse, sql);
    await exec.run(schemaChangeStatements(target, diffColumns(existingColumns, incoming), mode, node.name));
    const before = await exec.count(target);
    const columns = mode === 'ignore' ? existingColumns.map((c) => c.name) : incoming.map((c) => c.name);
    await exec.run(appendInsert(target, columns, sql, node.config));
    return (await exec.count(target)) - before;
  }

  const newData = { schema: target.schema, name: helperName(target.name, 'new_data', env.invocationId) };
  await exec.run(dropTable(newData));
  try {
    await exec.run(createTableAs(newData, sql, node.config, ddlOptions(env)));
    const incoming = await env.warehouse.listColumns(newData.schema, newData.name);
    const change = diffColumns(existingColumns, incoming);
    const inserted = await exec.count(newData);
    // Nothing new and the same columns: the target is already right. (dbt would still rewrite or
    // scan it — a DELETE alone reads every part.)
    if (inserted === 0 && !hasChanges(change)) return 0;
    if (resolved === 'legacy') {
      if (mode === 'fail' && hasChanges(change)) schemaChangeStatements(target, change, mode, node.name);
      const intermediate = { schema: target.schema, name: helperName(target.name, 'tmp', env.invocationId) };
      const backup = { schema: target.schema, name: helperName(target.name, 'backup', env.invocationId) };
      const existingNames = new Set(existingColumns.map((c) => c.name));
      const kept = incoming.map((c) => c.name).filter((name) => existingNames.has(name));
      await exec.run(dropTable(intermediate));
      await exec.run(
        legacyRebuild(
          target,
          newData,
          intermediate,
          key!,
          kept,
          incoming.map((c) => c.name),
          node.config,
        ),
      );
      await exec.run(
        swapIntoPlace(target, intermediate, backup, { exchange: canExchange(env, target.schema) }),
      );
    } else if (resolved === 'delete_insert') {
      if (!env.warehouse.capabilities.lightweightDelete)
        throw new DemaError(
          'EXEC_MODEL',
          `${node.originalFilePath}: delete+insert needs lightweight DELETE (ClickHouse ≥ 23.3).`,
          { hint: 'Use the default (legacy) strategy on this server.' },
        );
      await exec.run(schemaChangeStatements(target, change, mode, node.name));
      const after =
        mode === 'ignore' ? existingColumns : await env.warehouse.listColumns(target.schema, target.name);
      const incomingNames = new Set(incoming.map((c) => c.name));
      const statements = deleteInsert(
        target,
        newData,
        key!,
        after.map((c) => c.name).filter((name) => incomingNames.has(name)),
        node.config,
      );
      const { rows } = await env.warehouse.query<{ n: string | number }>(statements.matching);
      if (Number(rows[0]?.n ?? 0) > 0) await exec.run(statements.delete);
      await exec.run(statements.insert);
    } else {
      await exec.run(schemaChangeStatements(target, change, mode, node.name));
      const { rows } = await env.warehouse.query<{ partition_id: string }>(
        `select distinct partition_id from system.parts where active and database = ${quoteString(newData.schema)} and table = ${quoteString(newData.name)}`,
      );
      await exec.run(
        replacePartitions(
          target,
          newData,
          rows.map((row) => row.partition_id),
        ),
      );
    }
    return inserted;
  } finally {
    await env.warehouse.command(dropTable(newData)).catch(() => undefined);
    exec.statements.push(dropTable(newData));
  }
}

/** The columns a query produces, without running it. */
export async function describeQuery(warehouse: Warehouse, sql: string): Promise<ColumnInfo[]> {
  const { rows } = await warehouse.query<{ name: string; type: string }>(`describe (\n${sql.trim()}\n)`);
  return rows.map((row) => ({ name: row.name, type: row.type }));
}

export const createSchema = (schema: string) => `create database if not exists ${quoteIdent(schema)}`;
