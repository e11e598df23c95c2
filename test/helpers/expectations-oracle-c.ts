import {
  BAD_COLUMNS,
  BAD_ROWS,
  COLS_BAD_COLUMNS,
  GOOD_ROWS,
  HALF_ROWS,
  ROW_COLUMNS,
  type Row,
  type TestCase,
} from '../fixtures/expectations-tables.ts';

/**
 * The oracle of dbt-expectations-c.test.ts: each case's failing rows computed from the fixture's rows
 * with the test's documented meaning (dbt_expectations' README, dbt_utils' README), never from dema.
 */

const HOUR = 1;
const DAY_HOURS = 24 * HOUR;

/** The rows and the column names (in order) of each model a case runs on. */
export const TABLES: Record<string, { rows: Row[]; columns: string[] }> = {
  rows_good: { rows: GOOD_ROWS, columns: ROW_COLUMNS },
  rows_twin: { rows: GOOD_ROWS, columns: ROW_COLUMNS },
  rows_half: { rows: HALF_ROWS, columns: ROW_COLUMNS },
  rows_bad: { rows: BAD_ROWS, columns: BAD_COLUMNS },
  cols_bad: { rows: GOOD_ROWS, columns: COLS_BAD_COLUMNS },
};

const refName = (value: unknown) => /ref\('(\w+)'\)/.exec(String(value))![1]!;
export const groupsOf = (rows: Row[]) => [...new Set(rows.map((r) => r.grp))];
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
export const inGroup = (rows: Row[], grp: string) => rows.filter((r) => r.grp === grp);
const dayIndex = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;
const upper = (names: string[]) => names.map((n) => n.toUpperCase());

/**
 * Days (as indexes) with no row, on a spine from the first day up to, not including, the last
 * (dbt_date's spine; by default the data's first and last days), every `interval` days.
 */
function missingDays(rows: Row[], interval = 1, window?: [string, string], excluded: string[] = []): number {
  const days = rows.map((r) => dayIndex(r.day));
  const [start, end] = window ? window.map(dayIndex) : [Math.min(...days), Math.max(...days)];
  const buckets = new Set(days.map((d) => d - ((d - start!) % interval)));
  let missing = 0;
  for (let d = start!; d < end!; d += interval)
    if (!buckets.has(d) && !excluded.map(dayIndex).includes(d)) missing++;
  return missing;
}

/** Failing rows of each case's query, from the data and the test's documented meaning. */
export function expectedFailures(c: TestCase): number {
  const { rows, columns } = TABLES[c.model]!;
  const args = c.args;
  const compare = args.compare_model ? TABLES[refName(args.compare_model)]! : undefined;
  switch (c.id.replace(/__(pass|fail)$/, '')) {
    case 'grouped_recent':
    case 'grouped_recent_where': {
      // Newest timestamp per group (future rows and row_condition's left out); stale when older
      // than `interval` dateparts.
      const past = rows.filter((r) => r.ageHours >= 0 && (args.row_condition !== 'id != 3' || r.id !== 3));
      const limit = Number(args.interval) * (args.datepart === 'day' ? DAY_HOURS : HOUR);
      return groupsOf(past).filter((g) => Math.min(...inGroup(past, g).map((r) => r.ageHours)) > limit)
        .length;
    }
    case 'multicolumn_sum':
      return groupsOf(rows).filter((g) => {
        const rs = inGroup(rows, g);
        return sum(rs.map((r) => r.a + r.b + r.c)) !== sum(rs.map((r) => r.s));
      }).length;
    case 'every_day':
      return missingDays(rows);
    case 'every_2_days':
      return missingDays(rows, 2);
    case 'every_day_window':
      return missingDays(
        rows,
        1,
        [String(args.test_start_date), String(args.test_end_date)],
        args.exclusion_condition ? ['2023-12-31'] : [],
      );
    case 'unique_within_record':
      return rows.filter((r) => new Set([r.a, r.b, r.c]).size < 3).length;
    case 'aggregation_other_table':
      return groupsOf([...rows, ...compare!.rows]).filter(
        (g) => sum(inGroup(rows, g).map((r) => r.a)) !== sum(inGroup(compare!.rows, g).map((r) => r.a)),
      ).length;
    case 'column_count_between':
      return columns.length < 7 || columns.length > 8 ? 1 : 0;
    case 'column_count_equal':
      return columns.length === 8 ? 0 : 1;
    case 'column_count_other_table':
      return columns.length === compare!.columns.length ? 0 : 1;
    case 'columns_contain':
      return upper(args.column_list as string[]).filter((n) => !upper(columns).includes(n)).length;
    case 'columns_ordered': {
      const wanted = upper(args.column_list as string[]).map((n, i) => `${i}:${n}`);
      const actual = upper(columns).map((n, i) => `${i}:${n}`);
      return (
        wanted.filter((x) => !actual.includes(x)).length + actual.filter((x) => !wanted.includes(x)).length
      );
    }
    case 'columns_set': {
      const wanted = upper(args.column_list as string[]);
      const actual = upper(columns);
      return (
        wanted.filter((x) => !actual.includes(x)).length + actual.filter((x) => !wanted.includes(x)).length
      );
    }
    case 'columns_not_contain':
      return upper(args.column_list as string[]).filter((n) => upper(columns).includes(n)).length;
    case 'columns_not_contain_lower': {
      const lower = (names: string[]) => names.map((n) => n.toLowerCase());
      return lower(args.column_list as string[]).filter((n) => lower(columns).includes(n)).length;
    }
    case 'row_count_equal':
      return rows.length === args.value ? 0 : 1;
    case 'row_count_equal_by_group':
      return groupsOf(rows).filter((g) => inGroup(rows, g).length !== args.value).length;
    case 'row_count_other_table':
      return groupsOf([...rows, ...compare!.rows]).filter(
        (g) => inGroup(rows, g).length !== inGroup(compare!.rows, g).length,
      ).length;
    case 'row_count_factor':
      return rows.length === Number(args.factor) * compare!.rows.length ? 0 : 1;
    case 'equal_expression':
      // |sum(s) - sum(a + b + c)| / sum(s) over tolerance_percent, per group.
      return groupsOf(rows).filter((g) => {
        const rs = inGroup(rows, g);
        const s = sum(rs.map((r) => r.s));
        return Math.abs(s - sum(rs.map((r) => r.a + r.b + r.c))) / s > Number(args.tolerance_percent);
      }).length;
    case 'expression_between':
      return groupsOf(rows).filter((g) => {
        const max = Math.max(...inGroup(rows, g).map((r) => r.c));
        return max < Number(args.min_value) || max > Number(args.max_value);
      }).length;
    case 'expression_is_true':
      return rows.filter((r) => r.id > 0 && r.s !== r.a + r.b + r.c).length;
    case 'fewer_rows':
    case 'fewer_rows_by_group': {
      // fail_calc sums row_count_delta: the surplus when more rows, 1 when as many, else 0; a group on
      // one side only compares with NULL (0).
      const byGroup = Boolean(args.group_by_columns);
      const keys = byGroup ? groupsOf([...rows, ...compare!.rows]) : ['all'];
      const count = (rs: Row[], g: string) => (byGroup ? inGroup(rs, g).length : rs.length);
      return sum(
        keys.map((g) => {
          const [ours, theirs] = [count(rows, g), count(compare!.rows, g)];
          if (ours === 0 || theirs === 0) return 0;
          return ours > theirs ? ours - theirs : ours === theirs ? 1 : 0;
        }),
      );
    }
    default:
      throw new Error(`no oracle for ${c.id}`);
  }
}

/** percentile_cont: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
}
