import assert from 'node:assert/strict';
import { type Case, OTHER, type Row, type Value, type Where } from '../fixtures/expectations-columns-a.ts';

/**
 * What dbt_expectations' tests return on given rows, from their documented semantics and SQL's (NULLs
 * left out of aggregates, an aggregate of no rows is NULL, three-valued logic): the number of rows
 * each test's query gives, 0 meaning pass. Written from the rows, never from dema's results.
 */

type Args = Record<string, unknown>;

const filtered = (rows: Row[], where?: Where) =>
  where ? rows.filter((r) => r[where.column] === where.value) : rows;

/** The rows of each group (one group of all rows without group_by, as an aggregate without GROUP BY). */
function groups(rows: Row[], groupBy: unknown): Row[][] {
  if (!Array.isArray(groupBy) || groupBy.length === 0) return [rows];
  const by = new Map<string, Row[]>();
  for (const row of rows) {
    const key = JSON.stringify(groupBy.map((c: string) => row[c]));
    by.set(key, [...(by.get(key) ?? []), row]);
  }
  return [...by.values()];
}

/** count(distinct …) and count(…) leave NULLs out. */
const nonNull = (values: Value[]) => values.filter((v) => v !== null);
const distinct = (values: Value[]) => new Set(nonNull(values)).size;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
/** SQL's sum and min: NULL over no rows. */
const sumOrNull = (values: number[]) => (values.length === 0 ? null : sum(values));
/** ISO dates order as strings. */
const minOrNull = (values: (number | string)[]) =>
  values.length === 0 ? null : [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0]!;

/** percentile_cont: linear interpolation between the sorted values around position q·(n − 1). */
function percentileCont(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Sample standard deviation (stddev / stddev_samp): NULL below two values. */
function stdevSamp(values: number[]): number | null {
  if (values.length < 2) return null;
  const mean = sum(values) / values.length;
  return Math.sqrt(sum(values.map((v) => (v - mean) ** 2)) / (values.length - 1));
}

/** A NULL aggregate makes the bounds unknown: `not (NULL = true)` is NULL, so no failing row. */
function between(value: number | string | null, args: Args): boolean {
  if (value === null) return true;
  const {
    min_value: min,
    max_value: max,
    strictly,
  } = args as {
    min_value?: number | string;
    max_value?: number | string;
    strictly?: boolean;
  };
  if (min !== undefined && !(strictly ? value > min : value >= min)) return false;
  if (max !== undefined && !(strictly ? value < max : value <= max)) return false;
  return true;
}

/** Failing groups of an aggregate check (expression_is_true / expression_between with group_by). */
function failingGroups(rows: Row[], spec: Case, ok: (group: Row[]) => boolean): number {
  return groups(filtered(rows, spec.where), spec.args.group_by).filter((g) => !ok(g)).length;
}

/** An aggregate (of the non-NULL values, as SQL's) between the bounds, per group. */
function aggregateBetween(aggregate: (values: Value[]) => number | string | null) {
  return (rows: Row[], spec: Case) =>
    failingGroups(rows, spec, (g) =>
      between(aggregate(nonNull(g.map((r) => r[spec.column!] as Value))), spec.oracleArgs ?? spec.args),
    );
}

/** NULL is kept as a distinct value of its own, which no set value equals. */
const key = (v: Value) => (v === null ? '\u0000NULL' : String(v));
const setOf = (spec: Case) => new Set((spec.args.value_set as Value[]).map(key));
const valuesOf = (rows: Row[], spec: Case) =>
  new Set(filtered(rows, spec.where).map((r) => key(r[spec.column!] as Value)));

/** The value ranked top_n by count (the fixture has no tie around it: checked here). */
function mostCommon(rows: Row[], spec: Case): string {
  const counts = new Map<string, number>();
  for (const r of filtered(rows, spec.where))
    counts.set(String(r[spec.column!]), (counts.get(String(r[spec.column!])) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const n = spec.args.top_n as number;
  assert.ok(
    ranked[n - 2]?.[1] !== ranked[n - 1]![1] && ranked[n]?.[1] !== ranked[n - 1]![1],
    'a tie at top_n',
  );
  return ranked[n - 1]![0];
}

function columnExists(rows: Row[], spec: Case): boolean {
  const transform =
    (spec.args.transform as string | undefined) === 'lower'
      ? (s: string) => s.toLowerCase()
      : (s: string) => s.toUpperCase();
  const names = Object.keys(rows[0]!).map(transform);
  const index = names.indexOf(transform(spec.column!));
  const wanted = spec.args.column_index as number | undefined;
  return index >= 0 && (wanted === undefined || index === Math.max(wanted - 1, 0));
}

/** SQL's three-valued logic: null is unknown; a row fails only when its expression is false. */
type Truth = boolean | null;
const eq = (a: Value, b: Value): Truth => (a === null || b === null ? null : a === b);
const and = (a: Truth, b: Truth): Truth =>
  a === false || b === false ? false : a === null || b === null ? null : true;
const or = (values: Truth[]): Truth => (values.includes(true) ? true : values.includes(null) ? null : false);
const pairs = (spec: Case) => spec.args.value_pairs_set as [number, number][];
const col = (spec: Case, key: 'column_A' | 'column_B') => spec.args[key] as string;

/** Rows the test's query returns on these rows: 0 means pass. */
export const ORACLES: Record<string, (rows: Row[], spec: Case) => number> = {
  column_distinct_count_to_be_greater_than: (rows, spec) =>
    failingGroups(
      rows,
      spec,
      (g) => distinct(g.map((r) => r[spec.column!] as Value)) > (spec.args.value as number),
    ),
  column_distinct_count_to_be_less_than: (rows, spec) =>
    failingGroups(
      rows,
      spec,
      (g) => distinct(g.map((r) => r[spec.column!] as Value)) < (spec.args.value as number),
    ),
  column_distinct_count_to_equal_other_table: (rows, spec) => {
    const other = filtered(OTHER, spec.compareWhere ?? spec.where).map(
      (r) => r[spec.args.compare_column_name as string]!,
    );
    return distinct(filtered(rows, spec.where).map((r) => r[spec.column!] as Value)) === distinct(other)
      ? 0
      : 1;
  },
  column_distinct_values_to_be_in_set: (rows, spec) =>
    [...valuesOf(rows, spec)].filter((v) => !setOf(spec).has(v)).length,
  column_distinct_values_to_contain_set: (rows, spec) =>
    [...setOf(spec)].filter((v) => !valuesOf(rows, spec).has(v)).length,
  column_distinct_values_to_equal_set: (rows, spec) =>
    [...valuesOf(rows, spec)].filter((v) => !setOf(spec).has(v)).length +
    [...setOf(spec)].filter((v) => !valuesOf(rows, spec).has(v)).length,
  column_min_to_be_between: aggregateBetween((values) => minOrNull(values as (number | string)[])),
  column_most_common_value_to_be_in_set: (rows, spec) => (setOf(spec).has(mostCommon(rows, spec)) ? 0 : 1),
  column_proportion_of_unique_values_to_be_between: aggregateBetween((values) =>
    nonNull(values).length === 0 ? 1 : distinct(values) / nonNull(values).length,
  ),
  column_quantile_values_to_be_between: (rows, spec) =>
    aggregateBetween((values) => percentileCont(values as number[], spec.args.quantile as number))(
      rows,
      spec,
    ),
  column_stdev_to_be_between: aggregateBetween((values) => stdevSamp(values as number[])),
  column_sum_to_be_between: aggregateBetween((values) => sumOrNull(values as number[])),
  column_unique_value_count_to_be_between: aggregateBetween(distinct),
  column_to_exist: (rows, spec) => (columnExists(rows, spec) ? 0 : 1),
  column_pair_values_to_be_equal: (rows, spec) =>
    filtered(rows, spec.where).filter(
      (r) => eq(r[col(spec, 'column_A')]!, r[col(spec, 'column_B')]!) === false,
    ).length,
  column_pair_values_to_be_in_set: (rows, spec) =>
    filtered(rows, spec.where).filter(
      (r) =>
        or(
          pairs(spec).map(([a, b]) =>
            and(eq(r[col(spec, 'column_A')]!, a), eq(r[col(spec, 'column_B')]!, b)),
          ),
        ) === false,
    ).length,
};

/** The oracle of a case's test. */
export const oracle = (spec: Case) => ORACLES[spec.test.replace('dbt_expectations.expect_', '')]!;
