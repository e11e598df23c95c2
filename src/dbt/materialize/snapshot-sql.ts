import { quoteIdent } from '../../warehouse/sql.ts';
import type { NodeConfig } from '../project/config-tree.ts';
import { columnList, rel, type TableRef } from './ddl.ts';

/**
 * The SQL of a snapshot (dbt's SCD type 2, dbt-semantics.md §8), as pure builders. A snapshot row
 * is current while `dbt_valid_to` is NULL (or equals `dbt_valid_to_current`). A run builds the NEXT
 * whole table in a helper from the live one and a staging table of the source, then publishes it:
 *   1. every live row, its `dbt_valid_to` set when it is current and its key changed (closed at the
 *      new version's `dbt_valid_from`) or vanished from the source (hard_deletes invalidate or
 *      new_record: closed at the snapshot time);
 *   2. a new version for each source row whose key has no current row, or has one that changed
 *      (timestamp: the source's updated_at is later; check: a check column differs, null-safe);
 *   3. hard_deletes new_record: a row `dbt_is_deleted = 'True'` for each vanished key.
 * Keys compare as one string (each part `ifNull(toString(part), '')`, joined by '|'); joins are
 * `ANY LEFT JOIN … USING`, which the 18.16 server has, and a marker column says whether a row
 * matched (an unmatched side is defaults, or NULLs under join_use_nulls).
 */

export interface SnapshotPlan {
  readonly keys: readonly string[];
  readonly strategy: 'timestamp' | 'check';
  /** The source's updated_at expression (timestamp; optional for check). */
  readonly updatedAt?: string;
  /** check: the compared columns (all of the source's for check_cols: all). */
  readonly checkCols: readonly string[];
  readonly hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  /** dbt_valid_to_current: the SQL expression current rows hold instead of NULL. */
  readonly validToCurrent?: string;
  /** The run's snapshot time, a SQL expression (one value for the whole run). */
  readonly snapshotTime: string;
}

export const META_COLUMNS = [
  'dbt_scd_id',
  'dbt_updated_at',
  'dbt_valid_from',
  'dbt_valid_to',
  'dbt_is_deleted',
];

export function planOf(
  config: NodeConfig,
  sourceColumns: readonly string[],
  snapshotTime: string,
): SnapshotPlan {
  const key = config.unique_key;
  const check = config.check_cols;
  return {
    keys: (Array.isArray(key) ? key : [key]).map(String),
    strategy: config.strategy === 'check' ? 'check' : 'timestamp',
    // The check strategy takes updated_at too when set (dbt-core#5076): versions are dated by it.
    ...(typeof config.updated_at === 'string' && config.updated_at ? { updatedAt: config.updated_at } : {}),
    checkCols:
      check === 'all' ? sourceColumns.filter((c) => !META_COLUMNS.includes(c)) : ((check as string[]) ?? []),
    hardDeletes: config.hard_deletes as SnapshotPlan['hardDeletes'],
    ...(config.dbt_valid_to_current ? { validToCurrent: String(config.dbt_valid_to_current) } : {}),
    snapshotTime,
  };
}

const part = (expr: string) => `ifNull(toString(${expr}), '')`;

/** The key as one string (see the module comment). */
export const keyOf = (plan: SnapshotPlan) =>
  plan.keys.length === 1 ? part(plan.keys[0]!) : `concat(${plan.keys.map(part).join(", '|', ")})`;

/** dbt-clickhouse's scd id: halfMD5 of the key parts and the version's time. */
const scdId = (plan: SnapshotPlan, time: string) =>
  `halfMD5(${[...plan.keys, time].map(part).join(" || '|' || ")})`;

const versionTime = (plan: SnapshotPlan) => (plan.updatedAt ? `(${plan.updatedAt})` : plan.snapshotTime);

const openValidTo = (time: string, plan: SnapshotPlan) =>
  plan.validToCurrent
    ? `coalesce(nullIf(${time}, ${time}), ${plan.validToCurrent})`
    : `nullIf(${time}, ${time})`;

/** Whether a snapshot row (unqualified columns) is current. */
export const isCurrent = (plan: SnapshotPlan, column = 'dbt_valid_to') =>
  plan.validToCurrent ? `(${column} is null or ${column} = ${plan.validToCurrent})` : `${column} is null`;

/** The source's rows as new versions: the first run's whole table, and later runs' staging table. */
export function stagingSelect(sql: string, plan: SnapshotPlan): string {
  const time = versionTime(plan);
  return [
    'select *,',
    `  ${scdId(plan, time)} as dbt_scd_id,`,
    `  ${time} as dbt_updated_at,`,
    `  ${time} as dbt_valid_from,`,
    `  ${openValidTo(time, plan)} as dbt_valid_to${plan.hardDeletes === 'new_record' ? ',' : ''}`,
    ...(plan.hardDeletes === 'new_record' ? ["  'False' as dbt_is_deleted"] : []),
    `from (\n${sql.trim()}\n) as dbt_snapshot_source`,
  ].join('\n');
}

const differs = (a: string, b: string) => `not (ifNull(${a} = ${b}, 0) or (isNull(${a}) and isNull(${b})))`;
const other = (column: string) => quoteIdent(`__dbt_c_${column}`);

/** A current row changed: `mine` are this side's columns, the other side's are `__dbt_c_<col>`. */
function changed(plan: SnapshotPlan, newerFrom: string, olderFrom: string, columnAdded: boolean): string {
  if (plan.strategy === 'timestamp') return `${olderFrom} < ${newerFrom}`;
  if (columnAdded) return '1';
  return `(${plan.checkCols.map((c) => differs(quoteIdent(c), other(c))).join(' or ') || '0'})`;
}

const otherColumns = (plan: SnapshotPlan) =>
  plan.strategy === 'check' ? plan.checkCols.map((c) => `, ${quoteIdent(c)} as ${other(c)}`).join('') : '';

export interface MergeInput {
  readonly live: TableRef;
  readonly staging: TableRef;
  readonly next: TableRef;
  /** The live table's columns and the staging table's (source + meta) columns. */
  readonly liveColumns: readonly string[];
  readonly stagingColumns: readonly string[];
  /** The live table's dbt_valid_from type: the snapshot time is cast to it. */
  readonly validFromType: string;
  readonly columnAdded: boolean;
}

/** Step 1: every live row into the next table, current ones closed when changed or deleted. */
export function carryHistory(plan: SnapshotPlan, input: MergeInput): string {
  const time = `CAST(${plan.snapshotTime} AS ${input.validFromType})`;
  const matched = 'ifNull(__dbt_m, 0) = 1';
  const change = changed(plan, '__dbt_new_from', 'dbt_valid_from', input.columnAdded);
  const reopened = plan.hardDeletes === 'new_record' ? ` or __dbt_old_deleted = 'True'` : '';
  const deletable =
    plan.hardDeletes === 'invalidate'
      ? '1'
      : plan.hardDeletes === 'new_record'
        ? `__dbt_old_deleted = 'False'`
        : '0';
  // Read through __dbt_old_*: a SELECT alias named like a column shadows it in the whole query.
  const current = isCurrent(plan, '__dbt_old_to');
  const validTo = `multiIf(${current} and ${matched} and (${change}${reopened}), __dbt_new_from, ${current} and not ${matched} and ${deletable}, ${time}, __dbt_old_to)`;
  const columns = input.liveColumns.map((c) =>
    c === 'dbt_valid_to' ? `${validTo} as dbt_valid_to` : quoteIdent(c),
  );
  return [
    `insert into ${rel(input.next)} (${columnList(input.liveColumns)})`,
    `select ${columns.join(', ')}`,
    `from (select *, ${keyOf(plan)} as __dbt_k, dbt_valid_to as __dbt_old_to${plan.hardDeletes === 'new_record' ? ', dbt_is_deleted as __dbt_old_deleted' : ''} from ${rel(input.live)}) as dbt_snapshotted`,
    `any left join (select ${keyOf(plan)} as __dbt_k, dbt_valid_from as __dbt_new_from, 1 as __dbt_m${otherColumns(plan)} from ${rel(input.staging)}) as dbt_source`,
    'using __dbt_k',
  ].join('\n');
}

/** Step 2: the new versions — new keys, changed keys, and keys back after a delete. */
export function insertVersions(plan: SnapshotPlan, input: MergeInput): string {
  const change = changed(plan, 'dbt_valid_from', '__dbt_old_from', input.columnAdded);
  const reopened = plan.hardDeletes === 'new_record' ? ` or __dbt_old_deleted = 'True'` : '';
  const deleted = plan.hardDeletes === 'new_record' ? ', dbt_is_deleted as __dbt_old_deleted' : '';
  return [
    `insert into ${rel(input.next)} (${columnList(input.stagingColumns)})`,
    `select ${columnList(input.stagingColumns)}`,
    `from (select *, ${keyOf(plan)} as __dbt_k from ${rel(input.staging)}) as dbt_source`,
    `any left join (select ${keyOf(plan)} as __dbt_k, 1 as __dbt_m, dbt_valid_from as __dbt_old_from${deleted}${otherColumns(plan)} from ${rel(input.live)} where ${isCurrent(plan)}) as dbt_snapshotted`,
    'using __dbt_k',
    `where not ifNull(__dbt_m, 0) = 1 or ${change}${reopened}`,
  ].join('\n');
}

/** Step 3 (hard_deletes new_record): a deletion record for each current key gone from the source. */
export function insertDeletions(plan: SnapshotPlan, input: MergeInput, updatedAtType: string): string {
  const from = `CAST(${plan.snapshotTime} AS ${input.validFromType})`;
  const values: Record<string, string> = {
    dbt_scd_id: scdId(plan, plan.snapshotTime),
    dbt_updated_at: `CAST(${plan.snapshotTime} AS ${updatedAtType})`,
    dbt_valid_from: from,
    dbt_valid_to: plan.validToCurrent ?? 'NULL',
    dbt_is_deleted: `'True'`,
  };
  const columns = input.liveColumns.map((c) =>
    values[c] ? `${values[c]} as ${quoteIdent(c)}` : quoteIdent(c),
  );
  return [
    `insert into ${rel(input.next)} (${columnList(input.liveColumns)})`,
    `select ${columns.join(', ')}`,
    // Filtered in a subquery: the SELECT's aliases shadow the columns they replace.
    `from (select * from ${rel(input.live)} where ${isCurrent(plan)} and dbt_is_deleted = 'False' and ${keyOf(plan)} not in (select ${keyOf(plan)} from ${rel(input.staging)})) as dbt_vanished`,
  ].join('\n');
}

/** Columns the source gained: NULL in older rows where the type allows it, as dbt's added columns. */
export function addColumns(next: TableRef, added: readonly { name: string; type: string }[]): string[] {
  return added.map((column) => {
    const nullable = /^(Nullable|LowCardinality|Array|Map|Tuple|Nested)\(/.test(column.type)
      ? column.type
      : `Nullable(${column.type})`;
    return `alter table ${rel(next)} add column ${quoteIdent(column.name)} ${nullable}`;
  });
}
