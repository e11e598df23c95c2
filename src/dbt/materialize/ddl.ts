import { DemaError } from '../../errors.ts';
import { quoteIdent, quoteString } from '../../warehouse/sql.ts';
import type { NodeConfig } from '../project/config-tree.ts';

/**
 * Pure SQL builders for dbt-clickhouse's materializations (dbt-semantics.md §7.3–7.9). No I/O:
 * each returns statements; golden tests pin them for every materialization × config.
 */

export interface TableRef {
  readonly schema: string;
  readonly name: string;
}

export const rel = (table: TableRef) => `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;

function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function settingValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean')
    return String(value === true ? 1 : value === false ? 0 : value);
  const text = String(value);
  return text.startsWith("'") || /^-?\d+(\.\d+)?$/.test(text) ? text : quoteString(text);
}

export function settingsList(settings: unknown): string {
  if (!settings || typeof settings !== 'object') return '';
  const entries = Object.entries(settings as Record<string, unknown>);
  return entries.map(([key, value]) => `${key} = ${settingValue(value)}`).join(', ');
}

/** `SETTINGS …` for statements that read or write data (`query_settings`). */
export function querySettings(config: NodeConfig): string {
  const list = settingsList(config.query_settings);
  return list ? `\nSETTINGS ${list}` : '';
}

/** ENGINE / ORDER BY / PARTITION BY / PRIMARY KEY / TTL / SETTINGS of a CREATE TABLE. */
export function engineClause(config: NodeConfig): string {
  const engine = String(config.engine ?? 'MergeTree()');
  const parts = [`engine = ${engine}`];
  const sortable = /MergeTree|HDFS|S3|EmbeddedRocksDB|Hive|MaterializedPostgreSQL/i.test(engine);
  if (sortable) {
    const orderBy = asList(config.order_by);
    parts.push(`order by (${orderBy.length > 0 ? orderBy.join(', ') : 'tuple()'})`);
  }
  const partitionBy = asList(config.partition_by);
  if (partitionBy.length > 0) parts.push(`partition by (${partitionBy.join(', ')})`);
  const primaryKey = asList(config.primary_key);
  if (primaryKey.length > 0) parts.push(`primary key (${primaryKey.join(', ')})`);
  if (config.ttl) parts.push(`ttl ${String(config.ttl)}`);
  const settings = settingsList(config.settings);
  if (settings) parts.push(`SETTINGS ${settings}`);
  return parts.join('\n  ');
}

export interface DdlOptions {
  /** CREATE TABLE … EMPTY AS SELECT exists (else one CREATE TABLE … AS SELECT fills the table). */
  readonly createEmptyAs: boolean;
}

/** "Create table as": an empty table shaped by the query, then one INSERT (dbt-clickhouse's two statements). */
export function createTableAs(
  table: TableRef,
  sql: string,
  config: NodeConfig,
  options: DdlOptions,
): string[] {
  const body = sql.trim();
  if (!options.createEmptyAs)
    return [`create table ${rel(table)}\n  ${engineClause(config)}\nas ${body}${querySettings(config)}`];
  return [
    `create table ${rel(table)}\n  ${engineClause(config)}\n  empty as (\n${body}\n)`,
    `insert into ${rel(table)}\n${body}${querySettings(config)}`,
  ];
}

/** A query that already ends in its own top-level `SETTINGS a = 1, …` clause (a second one is a syntax error). */
const OWN_SETTINGS = /\bsettings\s+[a-z_]\w*\s*=[^()]*$/i;

/**
 * A view's SELECT is analysed again whenever it is read, with the reader's settings (a BI client's
 * too): `viewSettings` (the session's standard-SQL settings) are stored in the view's own SETTINGS
 * clause so it reads the same for everyone; `query_settings` win, and a query with its own SETTINGS
 * clause keeps just that one.
 */
export function createView(
  view: TableRef,
  sql: string,
  config: NodeConfig,
  options: { orReplace: boolean; viewSettings?: Readonly<Record<string, unknown>> },
): string[] {
  const query = sql.trim();
  const defaults = OWN_SETTINGS.test(query) ? {} : (options.viewSettings ?? {});
  const list = settingsList({ ...defaults, ...(config.query_settings as Record<string, unknown>) });
  const settings = list ? `\nSETTINGS ${list}` : '';
  const body = `as (\n${query}${settings}\n)`;
  if (options.orReplace) return [`create or replace view ${rel(view)}\n${body}`];
  return [`drop table if exists ${rel(view)}`, `create view ${rel(view)}\n${body}`];
}

export const dropTable = (table: TableRef) => `drop table if exists ${rel(table)}`;
export const dropView = (table: TableRef) => `drop view if exists ${rel(table)}`;

/** Puts `replacement` in place of `live`: atomically with EXCHANGE where the engine allows, else one two-way RENAME. */
export function swapIntoPlace(
  live: TableRef,
  replacement: TableRef,
  backup: TableRef,
  options: { exchange: boolean },
): string[] {
  if (options.exchange)
    return [`exchange tables ${rel(replacement)} and ${rel(live)}`, dropTable(replacement)];
  return [
    dropTable(backup),
    `rename table ${rel(live)} to ${rel(backup)}, ${rel(replacement)} to ${rel(live)}`,
    dropTable(backup),
  ];
}

export const renameInto = (helper: TableRef, live: TableRef) => `rename table ${rel(helper)} to ${rel(live)}`;

/** An empty helper with the live table's columns, engine, sorting and partitioning. */
export const createLike = (helper: TableRef, like: TableRef) => `create table ${rel(helper)} as ${rel(like)}`;

/** `replace`: the live partitions become the helper's (emptied where the helper has none); `attach`: the helper's parts are added. */
export function movePartitions(
  live: TableRef,
  helper: TableRef,
  partitionIds: readonly string[],
  mode: 'replace' | 'attach',
): string[] {
  if (partitionIds.length === 0) return [];
  return [
    `alter table ${rel(live)}\n${partitionIds.map((id) => `  ${mode} partition id ${quoteString(id)} from ${rel(helper)}`).join(',\n')}`,
  ];
}

export function columnList(columns: readonly string[]): string {
  return columns.map(quoteIdent).join(', ');
}

/** An append: the model's rows into the target's current columns, by position as dbt-clickhouse does. */
export function appendInsert(
  target: TableRef,
  columns: readonly string[],
  sql: string,
  config: NodeConfig,
): string {
  return `insert into ${rel(target)} (${columnList(columns)})\n${sql.trim()}${querySettings(config)}`;
}

/** The model's rows by column name (the model may have more columns, or another order). */
export function insertByName(
  target: TableRef,
  columns: readonly string[],
  sql: string,
  config: NodeConfig,
): string {
  return `insert into ${rel(target)} (${columnList(columns)})\nselect ${columnList(columns)} from (\n${sql.trim()}\n)${querySettings(config)}`;
}

export function uniqueKeyExpression(config: NodeConfig): string | undefined {
  const key = config.unique_key;
  if (key === undefined || key === null || key === '') return undefined;
  const list = asList(key);
  return list.length === 0 ? undefined : list.join(', ');
}

export function predicates(config: NodeConfig): string[] {
  return asList(config.incremental_predicates ?? config.predicates);
}

/** The target rows delete+insert replaces: their key is in the new data and the incremental_predicates hold. */
export function replacedRows(newData: TableRef, key: string, config: NodeConfig): string {
  return [
    `(${key}) in (select ${key} from ${rel(newData)})`,
    ...predicates(config).map((p) => `(${p})`),
  ].join('\n  and ');
}

/** INSERT … SELECT of the named columns from one table into another, optionally filtered. */
export function copyRows(
  into: TableRef,
  from: TableRef,
  columns: readonly string[],
  where: string | undefined,
  config: NodeConfig,
): string {
  const filter = where ? `\nwhere ${where}` : '';
  return `insert into ${rel(into)} (${columnList(columns)})\nselect ${columnList(columns)} from ${rel(from)}${filter}${querySettings(config)}`;
}

/**
 * The live partitions that may hold rows the new data replaces (MergeTree family). Keys are compared
 * by their 64-bit hash: a set of numbers is about three times cheaper to build and probe than one of
 * key tuples, and a collision only adds a partition to rewrite — the kept rows are chosen by the
 * exact key (replacedRows). `bounds` (key-bounds.ts) only let it skip data. DISTINCT runs outside: on 18.16, DISTINCT of _partition_id with this
 * filter in the same SELECT crashes the server.
 */
export function matchingPartitions(
  target: TableRef,
  newData: TableRef,
  key: string,
  config: NodeConfig,
  bounds: readonly string[] = [],
): string {
  const where = [
    `cityHash64(${key}) in (select cityHash64(${key}) from ${rel(newData)})`,
    ...bounds,
    ...predicates(config).map((p) => `(${p})`),
  ].join('\n  and ');
  return `select distinct partition_id from (\nselect _partition_id as partition_id from ${rel(target)}\nwhere ${where}\n)`;
}

/** A condition on a MergeTree row's partition. */
export const inPartitions = (partitionIds: readonly string[]) =>
  `_partition_id in (${partitionIds.map(quoteString).join(', ')})`;

/**
 * The default ("legacy") strategy: a new table holding the old rows whose key is not in the new data
 * plus the new data, swapped in. The live table is intact until the swap.
 */
export function legacyRebuild(
  target: TableRef,
  newData: TableRef,
  intermediate: TableRef,
  key: string,
  keptColumns: readonly string[],
  newColumns: readonly string[],
  config: NodeConfig,
): string[] {
  const notReplaced = [
    `(${key}) not in (select ${key} from ${rel(newData)})`,
    ...predicates(config).map((p) => `(${p})`),
  ].join('\n  and ');
  return [
    `create table ${rel(intermediate)} as ${rel(newData)}`,
    `insert into ${rel(intermediate)} (${columnList(keptColumns)})\nselect ${columnList(keptColumns)} from ${rel(target)}\nwhere ${notReplaced}${querySettings(config)}`,
    `insert into ${rel(intermediate)} (${columnList(newColumns)})\nselect ${columnList(newColumns)} from ${rel(newData)}${querySettings(config)}`,
  ];
}

export interface ColumnChange {
  readonly added: { name: string; type: string }[];
  readonly removed: { name: string; type: string }[];
  readonly changed: { name: string; from: string; to: string }[];
}

export function diffColumns(
  existing: readonly { name: string; type: string }[],
  incoming: readonly { name: string; type: string }[],
): ColumnChange {
  const before = new Map(existing.map((column) => [column.name, column.type]));
  const after = new Map(incoming.map((column) => [column.name, column.type]));
  return {
    added: incoming.filter((column) => !before.has(column.name)),
    removed: existing.filter((column) => !after.has(column.name)),
    changed: incoming
      .filter((column) => before.has(column.name) && before.get(column.name) !== column.type)
      .map((column) => ({ name: column.name, from: before.get(column.name)!, to: column.type })),
  };
}

export function hasChanges(change: ColumnChange): boolean {
  return change.added.length + change.removed.length + change.changed.length > 0;
}

/** on_schema_change for incremental models: nothing, a failure, or the ALTERs that reconcile the target. */
export function schemaChangeStatements(
  target: TableRef,
  change: ColumnChange,
  mode: string,
  model: string,
): string[] {
  if (!hasChanges(change) || mode === 'ignore') return [];
  if (mode === 'fail') {
    const describe = [
      ...change.added.map((c) => `added ${c.name} ${c.type}`),
      ...change.removed.map((c) => `removed ${c.name}`),
      ...change.changed.map((c) => `${c.name} ${c.from} → ${c.to}`),
    ].join('; ');
    throw new DemaError(
      'EXEC_MODEL',
      `Model ${model}: the incremental model's columns changed (${describe}) and on_schema_change is 'fail'.`,
      {
        hint: "Run with --full-refresh, or set on_schema_change to 'append_new_columns' or 'sync_all_columns'.",
      },
    );
  }
  const add = change.added.map(
    (c) => `alter table ${rel(target)} add column if not exists ${quoteIdent(c.name)} ${c.type}`,
  );
  if (mode === 'append_new_columns') return add;
  if (mode === 'sync_all_columns')
    return [
      ...change.removed.map((c) => `alter table ${rel(target)} drop column if exists ${quoteIdent(c.name)}`),
      ...add,
      ...change.changed.map(
        (c) => `alter table ${rel(target)} modify column if exists ${quoteIdent(c.name)} ${c.to}`,
      ),
    ];
  return [];
}

/** The test wrapper: failures and the warn/error comparisons in one row (dbt-semantics.md §6.1). */
export function testWrapper(testSql: string, config: NodeConfig): string {
  const failCalc = String(config.fail_calc ?? 'count(*)');
  const limit = config.limit === null || config.limit === undefined ? undefined : Number(config.limit);
  const { body, settings } = splitEndOfSql(placeLimit(testSql.trim(), limit));
  return `select\n  ${failCalc} as failures,\n  ${failCalc} ${String(config.warn_if ?? '!= 0')} as should_warn,\n  ${failCalc} ${String(config.error_if ?? '!= 0')} as should_error\nfrom (\n${body}\n) dbt_internal_test${settings ? `\n${settings}` : ''}`;
}

/**
 * A test's trailing `-- end_of_sql` + SETTINGS clause (relationships' join_use_nulls) moves to the
 * outer query: the setting applies to the whole statement, and servers before 20.x reject
 * SETTINGS inside a subquery.
 */
export function splitEndOfSql(sql: string): { body: string; settings?: string } {
  const marker = sql.lastIndexOf('-- end_of_sql');
  if (marker === -1) return { body: sql };
  const tail = sql.slice(marker + '-- end_of_sql'.length).trim();
  if (!/^settings\b/i.test(tail)) return { body: sql };
  return { body: sql.slice(0, marker).trimEnd(), settings: tail };
}

/** dbt-clickhouse's place_limit: a LIMIT goes before `-- end_of_sql` when the test SQL ends in SETTINGS. */
export function placeLimit(sql: string, limit: number | undefined): string {
  if (limit === undefined) return sql;
  if (/\bsettings\b/i.test(sql)) {
    const marker = sql.indexOf('-- end_of_sql');
    if (marker === -1)
      throw new DemaError(
        'EXEC_MODEL',
        'A test with a limit and a SETTINGS clause needs a "-- end_of_sql" marker before SETTINGS.',
        {
          hint: 'Add the line "-- end_of_sql" just before the SETTINGS clause of the test SQL.',
        },
      );
    return `${sql.slice(0, marker)}limit ${limit}\n${sql.slice(marker)}`;
  }
  return `${sql}\nlimit ${limit}`;
}
