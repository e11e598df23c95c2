import {
  DAILY_BAD,
  DAILY_GOOD,
  type DayValue,
  ROWS_BAD,
  ROWS_GOOD,
  type Row,
  TYPES,
} from '../fixtures/expectations-columns-b.ts';

/**
 * How many rows each dbt_expectations test returns (its failure count) on the fixture's models,
 * computed from the rows with the tests' documented semantics on a SQL warehouse: a NULL
 * expression is not a failure, lower() is Unicode-aware, a missing mean or stddev is NULL, column
 * types are dbt-clickhouse's `dtype`. Written from the docs, not from dema's SQL.
 */

export type Args = Record<string, unknown>;
type Value = string | number | null;

/** The row conditions the cases use, as predicates (an unknown one is a mistake in the case). */
const WHERE: Record<string, (r: Row) => boolean> = {
  'id != 7': (r) => r.id !== 7,
  'id != 3': (r) => r.id !== 3,
  'id != 6': (r) => r.id !== 6,
  'id != 9': (r) => r.id !== 9,
  'id < 7': (r) => r.id < 7,
  'id not in (3, 4)': (r) => r.id !== 3 && r.id !== 4,
  'id not in (6, 9)': (r) => r.id !== 6 && r.id !== 9,
  "email != 'bad-email'": (r) => r.email !== 'bad-email',
};

const rowsOf = (model: string): Row[] => (model === 'rows_good' ? ROWS_GOOD : ROWS_BAD);
const cell = (r: Row, column: string) => (r as unknown as Record<string, Value>)[column] ?? null;

function selected(model: string, args: Args): Row[] {
  const condition = args.row_condition as string | undefined;
  if (condition !== undefined && !WHERE[condition]) throw new Error(`no predicate for ${condition}`);
  return rowsOf(model).filter((r) => (condition ? WHERE[condition]!(r) : true));
}

/** expression_is_true: the selected rows whose (non-NULL) value makes the expression false. */
function falseRows(model: string, column: string, args: Args, holds: (v: string | number) => boolean) {
  return selected(model, args).filter((r) => {
    const v = cell(r, column);
    return v !== null && !holds(v);
  }).length;
}

const like = (pattern: string) =>
  new RegExp(
    `^${[...pattern].map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
    'su',
  );

/** A regex argument: raw, or the body of a SQL string (kept free of backslashes in the cases). */
function regex(pattern: string, args: Args): RegExp {
  if (!args.is_raw && pattern.includes('\\')) throw new Error(`escape ${pattern} as a SQL string body`);
  const flags = String(args.flags ?? '');
  if (/[^ims]/.test(flags)) throw new Error(`no JS equivalent for re2 flags ${flags}`);
  return new RegExp(pattern, flags);
}

/** match_on: "any" (default) joins the per-pattern conditions with or, "all" with and. */
const combine = (args: Args, tests: ((v: string) => boolean)[]) => (v: string | number) =>
  args.match_on === 'all' ? tests.every((t) => t(String(v))) : tests.some((t) => t(String(v)));

/** dbt-clickhouse's Column.dtype: the type without its LowCardinality(…) and Nullable(…) wrappers. */
const dtype = (type: string) =>
  type.replace(/^LowCardinality\((.*)\)$/, '$1').replace(/^Nullable\((.*)\)$/, '$1');

function typeFailures(model: string, column: string, accepted: string[]): number {
  const own = model === 'rows_good' ? TYPES.good : TYPES.bad;
  const declared =
    (own as Record<string, string>)[column] ?? (TYPES as unknown as Record<string, string>)[column];
  if (!declared) throw new Error(`no declared type for ${column}`);
  return accepted.map((t) => t.toUpperCase()).includes(dtype(declared).toUpperCase()) ? 0 : 1;
}

function casing(model: string, column: string, args: Args): number {
  const distinct = [...new Set(rowsOf(model).map((r) => cell(r, column)))];
  const spellings = new Map<string, number>();
  for (const v of distinct)
    if (v !== null) spellings.set(String(v).toLowerCase(), (spellings.get(String(v).toLowerCase()) ?? 0) + 1);
  if (args.display_inconsistent_columns) return [...spellings.values()].filter((n) => n > 1).length;
  return distinct.length === spellings.size ? 0 : 1;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddevSamp = (xs: number[]) => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Sums per group (one sum without group_by) whose z-score over the sums is beyond the threshold. */
function stdevs(model: string, column: string, args: Args): number {
  const by = (args.group_by as string[] | undefined) ?? [];
  const sums = new Map<string, number>();
  for (const r of rowsOf(model)) {
    const key = JSON.stringify(by.map((c) => cell(r, c)));
    sums.set(key, (sums.get(key) ?? 0) + Number(cell(r, column)));
  }
  const xs = [...sums.values()];
  const sd = stddevSamp(xs);
  if (!sd) return 0;
  const threshold = Number(args.sigma_threshold ?? 3);
  return xs.filter((x) => Math.abs((x - mean(xs)) / sd) > threshold).length;
}

/** Each day's z-scores, for a look at how far the cases are from their thresholds. */
export function movingSigmas(days: DayValue[], args: Args): { offset: number; z: number }[] {
  if ((args.period ?? 'day') !== 'day') throw new Error('days only');
  const lookback = Number(args.lookback_periods ?? 1);
  const trend = Number(args.trend_periods ?? 7);
  const takeDiffs = args.take_diffs ?? true;
  const takeLogs = args.take_logs ?? true;
  const metric = (x: number | null) => (x === null || x === 0 ? 0 : takeLogs ? Math.log(x) : x);
  const series = new Map<string, Map<number, number>>();
  for (const d of days) {
    const key = args.group_by ? d.grp : '';
    const byDay = series.get(key) ?? new Map<number, number>();
    byDay.set(d.offset, (byDay.get(d.offset) ?? 0) + d.v);
    series.set(key, byDay);
  }
  const out: { offset: number; z: number }[] = [];
  for (const byDay of series.values()) {
    const ordered = [...byDay.entries()].sort((a, b) => b[0] - a[0]);
    const values = ordered.map(([, v], i) =>
      takeDiffs ? metric(v) - metric(i >= lookback ? ordered[i - lookback]![1] : null) : metric(v),
    );
    ordered.forEach(([offset], i) => {
      const frame = values.slice(Math.max(0, i - trend), i);
      const sd = stddevSamp(frame);
      if (frame.length > 0 && sd) out.push({ offset, z: (values[i]! - mean(frame)) / sd });
    });
  }
  return out;
}

/**
 * The days of the last `test_periods` (before today) whose moving z-score (log-differences by
 * default, against the `trend_periods` rows before) is outside the thresholds; a day without a
 * mean or stddev (too few rows before it) is NULL, so no failure. A threshold of 0 is unset, as
 * in the package (`x if x else default`).
 */
function movingStdevs(model: string, args: Args): number {
  const sigma = Number(args.sigma_threshold ?? 3);
  const upper = Number(args.sigma_threshold_upper || sigma);
  const lower = Number(args.sigma_threshold_lower || -sigma);
  const testPeriods = Number(args.test_periods ?? 14);
  return movingSigmas(model === 'daily_good' ? DAILY_GOOD : DAILY_BAD, args).filter(
    ({ offset, z }) => offset >= 1 && offset <= testPeriods && !(z >= lower && z <= upper),
  ).length;
}

const negate = (test: (v: string) => boolean) => (v: string) => !test(v);
const likes = (args: Args) => (args.like_pattern_list as string[]).map((p) => (v: string) => like(p).test(v));
const regexes = (args: Args) =>
  (args.regex_list as string[]).map((p) => (v: string) => regex(p, args).test(v));

/** The failure count of each test on a model's column with the case's arguments. */
export const ORACLES: Record<string, (model: string, column: string, args: Args) => number> = {
  expect_column_value_lengths_to_equal: (m, c, a) =>
    falseRows(m, c, a, (v) => [...String(v)].length === a.value),
  expect_column_values_to_be_null: (m, c, a) => selected(m, a).filter((r) => cell(r, c) !== null).length,
  expect_column_values_to_be_of_type: (m, c, a) => typeFailures(m, c, [String(a.column_type)]),
  expect_column_values_to_be_in_type_list: (m, c, a) => typeFailures(m, c, a.column_type_list as string[]),
  expect_column_values_to_be_within_n_stdevs: stdevs,
  expect_column_values_to_be_within_n_moving_stdevs: (m, _c, a) => movingStdevs(m, a),
  expect_column_values_to_have_consistent_casing: casing,
  expect_column_values_to_not_be_in_set: (m, c, a) =>
    selected(m, a).filter((r) => {
      const v = cell(r, c);
      return v !== null && (a.value_set as Value[]).some((x) => String(x) === String(v));
    }).length,
  expect_column_values_to_match_like_pattern: (m, c, a) =>
    falseRows(m, c, a, (v) => like(String(a.like_pattern)).test(String(v))),
  expect_column_values_to_not_match_like_pattern: (m, c, a) =>
    falseRows(m, c, a, (v) => !like(String(a.like_pattern)).test(String(v))),
  expect_column_values_to_match_like_pattern_list: (m, c, a) => falseRows(m, c, a, combine(a, likes(a))),
  expect_column_values_to_not_match_like_pattern_list: (m, c, a) =>
    falseRows(m, c, a, combine(a, likes(a).map(negate))),
  expect_column_values_to_match_regex_list: (m, c, a) => falseRows(m, c, a, combine(a, regexes(a))),
  expect_column_values_to_not_match_regex: (m, c, a) =>
    falseRows(m, c, a, (v) => !regex(String(a.regex), a).test(String(v))),
  expect_column_values_to_not_match_regex_list: (m, c, a) =>
    falseRows(m, c, a, combine(a, regexes(a).map(negate))),
};
