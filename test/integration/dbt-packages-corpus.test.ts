import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  GENERIC_TESTS,
  MODELS_SQL,
  PACKAGE_NAMES,
  PARSE_GAPS,
  packagesProject,
} from '../fixtures/packages-project.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * The real dbt_utils, dbt_date, dbt_expectations, audit_helper and codegen, installed by `dema
 * deps` and run on chDB. Every expected value is computed here from the fixture's data (never read
 * back from dema); every generic test passes on `good` and fails on `bad`. Known gaps are listed
 * with the error they give today, so a fix shows up as a failing expectation to update.
 */

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

interface Row {
  id: number;
  grp: number;
  amount: number;
  day: string;
  name: string | null;
  email: string;
  code: string;
  opt: number | null;
  lo: number;
  hi: number;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

const GOOD: Row[] = Array.from({ length: 10 }, (_, n) => ({
  id: n + 1,
  grp: (n + 1) % 3,
  amount: (n + 1) * 1.5,
  day: addDays('2024-01-01', n),
  name: `u${n + 1}`,
  email: `u${n + 1}@ex.com`,
  code: n % 2 === 0 ? 'A' : 'B',
  opt: n,
  lo: (n + 1) * 10,
  hi: (n + 1) * 10 + 10,
}));

const BAD: Row[] = [...GOOD, GOOD[8]!].map((row) => ({
  ...row,
  grp: 0,
  amount: row.id === 3 ? 100 : row.amount,
  name: row.id === 4 ? '' : row.id === 5 ? null : row.name,
  email: row.id === 6 ? 'bad-email' : row.email,
  code: row.id === 7 ? 'ZZ' : row.code,
  opt: null,
  hi: row.id === 8 ? row.hi + 15 : row.id === 2 ? row.lo - 1 : row.hi,
}));

/** Failures a failing test on `bad` reports (count(*) of its query), where the count follows from the data. */
const BAD_FAILURES: Record<string, number> = {
  'dbt_utils.accepted_range': 1, // amount 100
  'dbt_utils.not_empty_string': 1, // id 4 (the NULL of id 5 is not an empty string)
  'dbt_utils.not_accepted_values': 1,
  'dbt_utils.expression_is_true': 1,
  'dbt_utils.unique_combination_of_columns': 1, // (9, 0) twice
  'dbt_utils.sequential_values': 1, // 2024-01-09 twice
  'dbt_expectations.expect_column_values_to_be_decreasing': 1, // 92 twice
  'dbt_utils.relationships_where': 1, // bad-email
  'dbt_utils.mutually_exclusive_ranges': 3, // id 2 (lo > hi), id 8 (overlaps id 9), the first id 9 (overlaps its copy)
  'dbt_expectations.expect_column_values_to_be_in_set': 1,
  'dbt_expectations.expect_column_values_to_not_be_null': 1,
  'dbt_expectations.expect_column_values_to_match_regex': 1,
  'dbt_expectations.expect_column_value_lengths_to_be_between': 1,
  'dbt_expectations.expect_column_pair_values_A_to_be_greater_than_B': 1,
  // One row (the whole table, no group_by_columns) when the counts differ.
  'dbt_utils.equal_rowcount': BAD.length === GOOD.length ? 0 : 1,
  // One row (no group_by_columns) when the non-null share of name is below at_least (0.95).
  'dbt_utils.not_null_proportion': BAD.filter((r) => r.name !== null).length / BAD.length < 0.95 ? 1 : 0,
};

/** Tests that do not run yet, and why (see the report table in src/dbt/deps/README.md). */
const TEST_GAPS: Record<string, RegExp> = {};

const MODEL_GAPS: Record<string, RegExp> = {};

/** ISO 8601 week: the week (Monday first) holding the year's first Thursday is week 1. */
function isoWeek(day: string): number {
  const date = new Date(`${day}T00:00:00Z`);
  const thursday = new Date(date.getTime() + (4 - (date.getUTCDay() || 7)) * 86_400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function dateFacts(day: string) {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = date.getUTCDay(); // 0 = Sunday
  const dayOfYear = Math.round((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  return {
    day_of_week: weekday === 0 ? 7 : weekday,
    day_of_week_sunday: weekday + 1,
    day_name_short: DAY_NAMES[weekday]!.slice(0, 3),
    day_name_long: DAY_NAMES[weekday],
    month_name_short: date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' }),
    day_of_month: date.getUTCDate(),
    day_of_year: dayOfYear,
    week_start: addDays(day, -weekday),
    week_end: addDays(day, 6 - weekday),
    iso_week_start: addDays(day, -((weekday + 6) % 7)),
    iso_week_of_year: isoWeek(day),
    unix_ts: date.getTime() / 1000,
    quarter: Math.floor(date.getUTCMonth() / 3) + 1,
  };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sortBy = <T>(rows: T[], key: (row: T) => string | number) =>
  [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

test('the five real packages install locally; their macros and generic tests run on chDB with independently computed results', {
  skip,
}, async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, packagesProject(dir, PACKAGES!));
  const deps = await runCli(['deps'], { cwd: dir });
  assert.equal(deps.code, 0, deps.stderr);
  for (const name of PACKAGE_NAMES)
    assert.ok(lstatSync(join(dir, 'dbt_packages', name)).isSymbolicLink(), name);

  const run = await runCli(['run', '--json'], { cwd: dir });
  const models = new Map(
    run.events.filter((e) => e.type === 'dbt.node.done').map((e) => [String(e.uniqueId).split('.')[2]!, e]),
  );
  for (const [name, event] of models) {
    const gap = MODEL_GAPS[name];
    if (gap) {
      assert.equal(event.status, 'error', `${name} is a known gap: update MODEL_GAPS if it works now`);
      assert.match(String(event.message), gap, name);
    } else assert.equal(event.status, 'success', `${name}: ${String(event.message)}`);
  }
  assert.equal(models.size, 32);
  const read = <R = Record<string, unknown>>(sql: string) => queryStore<R>(store, 'pkgs', sql);

  // dbt_date on fixed days.
  const dates = await read('select * from dates order by d');
  for (const row of dates) {
    const { d, ...rest } = row as { d: string };
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(rest).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v]),
      ),
      dateFacts(d),
      d,
    );
  }
  const dimension = await read<{
    date_day: string;
    day_of_week_iso: number;
    week_start_date: string;
    iso_week_start_date: string;
    day_of_week_name: string;
  }>(
    'select date_day, day_of_week_iso, week_start_date, iso_week_start_date, day_of_week_name from date_dimension order by date_day',
  );
  assert.deepEqual(
    dimension.map((r) => r.date_day),
    Array.from({ length: 12 }, (_, i) => addDays('2023-12-28', i)),
  );
  for (const r of dimension) {
    const facts = dateFacts(r.date_day);
    assert.deepEqual(
      [Number(r.day_of_week_iso), r.week_start_date, r.iso_week_start_date, r.day_of_week_name],
      [facts.day_of_week, facts.week_start, facts.iso_week_start, facts.day_name_long],
    );
  }
  assert.deepEqual(
    await read(
      'select toString(paris) as paris, toString(three_days_before) as d, toString(from_unix) as u, toString(rounded) as r from date_misc',
    ),
    [{ paris: '2024-01-01 13:00:00', d: '2024-02-27', u: '2024-01-01 00:00:00', r: '2024-01-02 00:00:00' }],
  );

  // dbt_utils SQL macros.
  const column = async (sql: string) => (await read<{ v: unknown }>(sql)).map((r) => r.v);
  assert.deepEqual(await column('select toString(date_day) as v from utils_date_spine order by v'), [
    '2024-02-27',
    '2024-02-28',
    '2024-02-29',
    '2024-03-01',
  ]);
  assert.deepEqual(
    (await column('select generated_number as v from utils_generate_series order by v')).map(Number),
    [1, 2, 3, 4, 5, 6, 7],
  );
  const pivot = (
    await read<{ grp: number; A: string; B: string }>('select * from utils_pivot order by grp')
  ).map((r) => [Number(r.grp), Number(r.A), Number(r.B)]);
  assert.deepEqual(
    pivot,
    [0, 1, 2].map((g) => [
      g,
      ...['A', 'B'].map((c) => GOOD.filter((r) => r.grp === g && r.code === c).length),
    ]),
  );
  const unpivot = await read<{ id: number; field_name: string; value: string }>(
    'select * from utils_unpivot',
  );
  assert.deepEqual(
    sortBy(
      unpivot.map((r) => `${r.id}|${r.field_name}|${r.value}`),
      (s) => s,
    ),
    sortBy(
      GOOD.flatMap((r) => [`${r.id}|email|${r.email}`, `${r.id}|code|${r.code}`]),
      (s) => s,
    ),
  );
  const union = await read<{ src: string; n: string }>(
    'select _dbt_source_relation as src, count() as n from utils_union group by src order by src',
  );
  assert.deepEqual(
    union.map((r) => [r.src, Number(r.n)]),
    [
      ['`pkgs`.`bad`', BAD.length],
      ['`pkgs`.`good`', GOOD.length],
    ],
  );
  // utils_star lacks seen_at and opt: NULL there (dema's ClickHouse union_relations), values in good.
  const missing = await read<{ src: string; n: string; nulls: string }>(
    'select _dbt_source_relation as src, count() as n, countIf(seen_at is null and opt is null) as nulls from utils_union_missing_columns group by src order by src',
  );
  assert.deepEqual(
    missing.map((r) => [r.src, Number(r.n), Number(r.nulls)]),
    [
      ['`pkgs`.`good`', 10, 0],
      ['`pkgs`.`utils_star`', 10, 10],
    ],
  );
  const dedup = await read<{ id: number; amount: number }>(
    'select id, amount from utils_deduplicate order by id',
  );
  assert.deepEqual(
    dedup.map((r) => [Number(r.id), Number(r.amount)]),
    sortBy(
      BAD.filter((r, i) => BAD.findIndex((o) => o.id === r.id) === i),
      (r) => r.id,
    ).map((r) => [r.id, r.amount]),
  );
  const ratios = await read<{ id: number; ratio: number | null }>(
    'select id, ratio from utils_safe_divide order by id',
  );
  assert.deepEqual(
    ratios.map((r) => r.ratio),
    GOOD.map((r) => (r.grp === 0 ? null : r.amount / r.grp)),
  );
  const groups = await read<{ grp: number; n: string }>('select grp, n from utils_group_by order by grp');
  assert.deepEqual(
    groups.map((r) => Number(r.n)),
    [0, 1, 2].map((g) => GOOD.filter((r) => r.grp === g).length),
  );
  // Haversine in miles (dbt_utils' default unit), earth radius 3961 mi.
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const [lat1, lon1, lat2, lon2] = [48.864716, 2.349014, 52.520008, 13.404954];
  const h =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  const [km] = await column('select km as v from utils_haversine');
  assert.ok(Math.abs(Number(km) - 2 * 3961 * Math.asin(Math.sqrt(h))) < 0.01, `haversine ${km}`);
  const buckets = await column('select bucket as v from utils_width_bucket order by id');
  assert.deepEqual(
    buckets.map(Number),
    GOOD.map((r) => Math.min(Math.floor(r.amount / 3) + 1, 6)),
  );
  // The root project's default__get_url_parameter is not used: dispatch search_order is [dbt_utils].
  assert.deepEqual(await read('select host, path, source from utils_url'), [
    { host: 'shop.example.com', path: 'p/42', source: 'ads' },
  ]);
  assert.deepEqual((await column('select max_id as v from utils_single_value')).map(Number), [10]);
  // get_query_results_as_dict: agate's `table.columns.items()`; the counts per code sum to the rows.
  assert.deepEqual((await column('select total as v from utils_results_dict')).map(Number), [GOOD.length]);
  assert.deepEqual(
    (await column('select diff as v from utils_safe_subtract order by id')).map(Number),
    sortBy(BAD, (r) => r.id).map((r) => r.hi - (r.opt ?? 0)),
  );
  // safe_add (a string literal continued with `\` in dbt_utils): a NULL operand (bad's opt) counts as 0.
  assert.deepEqual(
    (await column('select total as v from utils_safe_add order by id')).map(Number),
    sortBy(BAD, (r) => r.id).map((r) => r.lo + (r.opt ?? 0)),
  );
  assert.deepEqual(await read('select toUInt32(n) as n, names from utils_relations_by_pattern'), [
    { n: 1, names: '`pkgs`.`good`' },
  ]);
  const nulled = await read<{ id: number; name: string | null }>(
    'select id, name from utils_nullcheck_table order by id',
  );
  assert.deepEqual(
    nulled.map((r) => r.name),
    sortBy(BAD, (r) => r.id).map((r) => (r.name === '' ? null : r.name)),
  );
  const keys = await read<{ id: number; sk: string }>(
    'select id, sk from utils_surrogate_key order by id, sk',
  );
  assert.deepEqual(
    keys.map((r) => r.sk),
    sortBy(BAD, (r) => r.id).map((r) => md5(`${r.id}-${r.name ?? '_dbt_utils_surrogate_key_null_'}`)),
  );
  const starColumns = await column(
    "select name as v from system.columns where database = 'pkgs' and table = 'utils_star' order by position",
  );
  assert.deepEqual(starColumns, ['id', 'grp', 'amount', 'day', 'name', 'email', 'code', 'lo', 'hi', 'down']);

  // audit_helper: set comparison of good and bad on every column but seen_at, opt and grp.
  const project = (r: Row) => JSON.stringify([r.id, r.amount, r.day, r.name, r.email, r.code, r.lo, r.hi]);
  const a = new Set(GOOD.map(project));
  const b = new Set(BAD.map(project));
  const both = [...a].filter((x) => b.has(x)).length;
  const onlyA = a.size - both;
  const onlyB = b.size - both;
  const total = both + onlyA + onlyB;
  const pct = (n: number) => Math.round((n / total) * 10_000) / 100;
  const compared = await read<{ in_a: boolean; in_b: boolean; count: string; percent_of_total: number }>(
    'select in_a, in_b, count, percent_of_total from audit_compare_relations order by in_a desc, in_b desc',
  );
  assert.deepEqual(
    compared.map((r) => [Boolean(r.in_a), Boolean(r.in_b), Number(r.count), Number(r.percent_of_total)]),
    [
      [true, true, both, pct(both)],
      [true, false, onlyA, pct(onlyA)],
      [false, true, onlyB, pct(onlyB)],
    ],
  );
  const counts = await read<{ relation_name: string; total_records: string }>(
    'select * from audit_compare_row_counts order by relation_name',
  );
  assert.deepEqual(
    counts.map((r) => [r.relation_name, Number(r.total_records)]),
    [
      ['`pkgs`.`bad`', 11],
      ['`pkgs`.`good`', 10],
    ],
  );
  const values = await read<{ match_status: string; count_records: string }>(
    'select match_status, count_records from audit_compare_column_values order by count_records desc',
  );
  const joined = BAD.map((row) => GOOD.find((g) => g.id === row.id)!.email === row.email);
  assert.deepEqual(
    values.map((r) => Number(r.count_records)),
    [joined.filter(Boolean).length, joined.filter((x) => !x).length],
  );
  assert.match(values[0]!.match_status, /perfect match/);

  // Columns that differ between good and bad rows of the same id (bad's extra copy of id 9 is equal).
  const differ = await read<{ column_name: string; has_difference: unknown }>(
    'select column_name, toUInt8(has_difference) as has_difference from audit_columns_differ',
  );
  const columnNames = ['email', 'code', 'amount', 'lo'] as const;
  assert.deepEqual(
    sortBy(differ, (r) => r.column_name).map((r) => [r.column_name, Number(r.has_difference)]),
    sortBy(
      ['id', ...columnNames].map((c) => [
        c,
        BAD.some((b) => GOOD.find((g) => g.id === b.id)![c as keyof Row] !== b[c as keyof Row]) ? 1 : 0,
      ]),
      (r) => String(r[0]),
    ),
  );

  // Row classification on (id, email, code): a key twice in bad is nonunique_pk, else identical or modified.
  const classified = await read<{ id: number; s: string }>(
    'select distinct id, dbt_audit_row_status as s from audit_classify_rows order by id',
  );
  assert.deepEqual(
    classified.map((r) => [Number(r.id), r.s]),
    GOOD.map((g) => {
      const copies = BAD.filter((b) => b.id === g.id);
      if (copies.length > 1) return [g.id, 'nonunique_pk'];
      const same = copies[0]!.email === g.email && copies[0]!.code === g.code;
      return [g.id, same ? 'identical' : 'modified'];
    }),
  );

  // codegen: the model YAML lists good's columns with their dtype as dbt-clickhouse's (ClickHouse's
  // type without its LowCardinality/Nullable wrapper).
  const [yamlText] = await column('select yaml as v from codegen_model_yaml');
  const yaml = parse(String(yamlText)) as {
    models: { name: string; columns: { name: string; data_type: string }[] }[];
  };
  const types = await read<{ name: string; type: string }>(
    "select name, type from system.columns where database = 'pkgs' and table = 'good' order by position",
  );
  assert.equal(yaml.models[0]!.name, 'good');
  assert.deepEqual(
    yaml.models[0]!.columns.map((c) => [c.name, c.data_type]),
    types.map((c) => [c.name, c.type.replace(/^Nullable\((.*)\)$/, '$1').toLowerCase()]),
  );

  // codegen: utils_safe_divide's ref becomes an import CTE named after it, and the FROM reads the CTE
  // (the macro's Python regexes: inline flags, verbose mode, findall groups, \g<n> replacements).
  const [importCtes] = await column('select sql as v from codegen_import_ctes');
  const raw = MODELS_SQL['models/utils_safe_divide.sql']!;
  assert.equal(
    String(importCtes).replace(/\s+/g, ' ').trim(),
    `with good as ( select * from {{ ref('good') }} ) ${raw.replace("{{ ref('good') }}", 'good')}`
      .replace(/\s+/g, ' ')
      .trim(),
  );

  // Generic tests: each passes on good and fails on bad.
  const tested = await runCli(['test', '--json'], { cwd: dir });
  const results = tested.events.filter((e) => e.type === 'dbt.node.done');
  assert.equal(results.length, GENERIC_TESTS.length * 2);
  for (const spec of GENERIC_TESTS) {
    const prefix = spec.name.replace('.', '_');
    for (const model of ['good', 'bad'] as const) {
      const event = results.find((e) => String(e.uniqueId).split('.')[2]!.startsWith(`${prefix}_${model}`));
      assert.ok(event, `${spec.name} on ${model}`);
      const gap = TEST_GAPS[spec.name];
      if (gap) {
        assert.equal(event.status, 'error', `${spec.name} is a known gap: update TEST_GAPS if it works now`);
        assert.match(String(event.message), gap);
        continue;
      }
      assert.equal(
        event.status,
        model === 'good' ? 'pass' : 'fail',
        `${spec.name} on ${model}: ${String(event.message)}`,
      );
      const expected = BAD_FAILURES[spec.name];
      if (model === 'bad' && expected !== undefined)
        assert.match(
          String(event.message),
          new RegExp(`^Got ${expected} results?,`),
          `${spec.name}: ${String(event.message)}`,
        );
    }
  }
});

test('a package macro that does not compile is a clear error naming the package file', {
  skip,
}, async (t) => {
  // A planted syntax error in a local package, then each known gap of the real packages.
  const cases: [Record<string, string>, string, RegExp][] = [
    [
      {
        'broken_pkg/dbt_project.yml': 'name: broken_pkg\nversion: "1.0.0"\n',
        'broken_pkg/macros/bad.sql':
          '{% macro fine() %}1{% endmacro %}\n\n{% macro oops() %}\n{{ 1 + }}\n{% endmacro %}\n',
        'models/uses_broken.sql': 'select {{ broken_pkg.oops() }} as x\n',
      },
      '  - local: broken_pkg\n',
      /dbt_packages\/broken_pkg\/macros\/bad\.sql:4/,
    ],
    ...Object.entries(PARSE_GAPS).map(([file, gap]): [Record<string, string>, string, RegExp] => [
      { [file]: gap.sql },
      '',
      gap.error,
    ]),
  ];
  for (const [extra, packageLine, error] of cases) {
    const dir = tempDir(t);
    const files = packagesProject(dir, PACKAGES!);
    writeFiles(dir, {
      'dbt_project.yml': files['dbt_project.yml']!,
      'profiles.yml': files['profiles.yml']!,
      'packages.yml': `packages:\n  - local: ${join(PACKAGES!, 'dbt_utils')}\n${packageLine}`,
      'models/good.sql': 'select 1 as id, 2 as lo, toNullable(3) as opt\n',
      ...extra,
    });
    assert.equal((await runCli(['deps'], { cwd: dir })).code, 0);
    const ls = await runCli(['ls'], { cwd: dir });
    assert.equal(
      ls.code,
      2,
      `${Object.keys(extra).join(', ')}: a known gap; update PARSE_GAPS if it parses now`,
    );
    assert.match(ls.stderr, error);
  }
});
