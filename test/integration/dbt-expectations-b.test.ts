import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Case, MODELS, schemaYaml, TYPES } from '../fixtures/expectations-columns-b.ts';
import { packagesProject } from '../fixtures/packages-project.ts';
import { runCli } from '../helpers/cli.ts';
import { type Args, ORACLES } from '../helpers/expectations-oracle.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';

/**
 * Fifteen of dbt_expectations' generic tests (string matching, sets, nulls, types, casing,
 * standard deviations), from the real package installed by `dema deps`, run by one `dema build`
 * on chDB. Each case's failure count comes from test/helpers/expectations-oracle.ts (the rows and
 * the tests' documented semantics), never from dema; every test passes at least once and fails at
 * least once, and its options (row_condition, match_on, flags, is_raw, …) are used.
 */

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

type Spec = [name: string, model: string, column: string, args: Args];

/** Cases per test (the model's `rows_`/`daily_` prefix is implied by the test's data). */
const SPECS: Record<string, Spec[]> = {
  expect_column_value_lengths_to_equal: [
    ['lengths_equal_good', 'rows_good', 'code', { value: 1 }], // 'É': one character, two bytes
    ['lengths_equal_bad', 'rows_bad', 'code', { value: 1 }],
    ['lengths_equal_where', 'rows_bad', 'code', { value: 1, row_condition: 'id != 7' }],
  ],
  expect_column_values_to_be_null: [
    ['be_null_good', 'rows_good', 'nothing', {}],
    ['be_null_bad', 'rows_bad', 'nothing', {}],
    ['be_null_where', 'rows_bad', 'nothing', { row_condition: 'id not in (3, 4)' }],
    ['be_null_where_fails', 'rows_bad', 'nothing', { row_condition: 'id != 3' }],
  ],
  expect_column_values_to_be_of_type: [
    ['of_type_good', 'rows_good', 'id', { column_type: 'int32' }],
    ['of_type_bad', 'rows_bad', 'id', { column_type: 'int32' }],
    ['of_type_nullable', 'rows_good', 'name', { column_type: 'string' }],
    ['of_type_nullable_wrapped', 'rows_good', 'name', { column_type: 'Nullable(String)' }],
    ['of_type_low_cardinality', 'rows_good', 'lc', { column_type: 'String' }],
    ['of_type_enum', 'rows_good', 'e', { column_type: TYPES.e }],
  ],
  expect_column_values_to_be_in_type_list: [
    ['type_list_good', 'rows_good', 'ts', { column_type_list: ["DateTime('UTC')", 'Date'] }],
    ['type_list_bad', 'rows_bad', 'ts', { column_type_list: ["DateTime('UTC')", 'Date'] }],
    ['type_list_decimal', 'rows_good', 'dec', { column_type_list: ['Float64', 'decimal(10, 2)'] }],
    ['type_list_ints', 'rows_bad', 'id', { column_type_list: ['Int8', 'Int16', 'Int32'] }],
  ],
  expect_column_values_to_be_within_n_stdevs: [
    ['stdevs_good', 'rows_good', 'amount', { group_by: ['grp'] }],
    ['stdevs_bad', 'rows_bad', 'amount', { group_by: ['grp'] }],
    ['stdevs_one_sigma', 'rows_good', 'amount', { group_by: ['grp'], sigma_threshold: 1 }],
    ['stdevs_whole_table', 'rows_bad', 'amount', {}], // one sum: no stddev, no failure
  ],
  expect_column_values_to_be_within_n_moving_stdevs: [
    ['moving_good', 'daily_good', 'v', { date_column_name: 'day' }],
    ['moving_bad', 'daily_bad', 'v', { date_column_name: 'day' }],
    // Group y starts 5 days ago: its first days have no trend yet (NaN on ClickHouse).
    ['moving_grouped_good', 'daily_good', 'v', { date_column_name: 'day', group_by: ['grp'] }],
    ['moving_grouped_bad', 'daily_bad', 'v', { date_column_name: 'day', group_by: ['grp'] }],
    [
      'moving_no_logs',
      'daily_bad',
      'v',
      { date_column_name: 'day', group_by: ['grp'], take_logs: false, sigma_threshold: 2 },
    ],
    [
      'moving_levels',
      'daily_good',
      'v',
      {
        date_column_name: 'day',
        group_by: ['grp'],
        take_diffs: false,
        sigma_threshold_upper: 10,
        sigma_threshold_lower: -1,
        trend_periods: 5,
        test_periods: 10,
      },
    ],
  ],
  expect_column_values_to_have_consistent_casing: [
    ['casing_good', 'rows_good', 'word', {}],
    ['casing_bad', 'rows_bad', 'word', {}],
    ['casing_display_good', 'rows_good', 'word', { display_inconsistent_columns: true }],
    ['casing_display_bad', 'rows_bad', 'word', { display_inconsistent_columns: true }], // Éclair/éclair too
  ],
  expect_column_values_to_match_like_pattern: [
    ['like_good', 'rows_good', 'email', { like_pattern: 'u%@ex.com' }],
    ['like_bad', 'rows_bad', 'email', { like_pattern: 'u%@ex.com' }],
    ['like_where', 'rows_bad', 'email', { like_pattern: 'u%@ex.com', row_condition: 'id not in (6, 9)' }],
    ['like_one_char', 'rows_good', 'code', { like_pattern: '_' }],
  ],
  expect_column_values_to_match_like_pattern_list: [
    ['like_list_all_good', 'rows_good', 'email', { like_pattern_list: ['u%', '%@ex.com'], match_on: 'all' }],
    ['like_list_all_bad', 'rows_bad', 'email', { like_pattern_list: ['u%', '%@ex.com'], match_on: 'all' }],
    ['like_list_any', 'rows_bad', 'email', { like_pattern_list: ['u%', '%@%'] }],
    [
      'like_list_any_where',
      'rows_bad',
      'email',
      { like_pattern_list: ['u%', '%@%'], row_condition: 'id != 6' },
    ],
  ],
  expect_column_values_to_match_regex_list: [
    ['regex_list_all_good', 'rows_good', 'email', { regex_list: ['^u[0-9]+@', '[.]com$'], match_on: 'all' }],
    ['regex_list_all_bad', 'rows_bad', 'email', { regex_list: ['^u[0-9]+@', '[.]com$'], match_on: 'all' }],
    ['regex_list_flags', 'rows_bad', 'email', { regex_list: ['^u[0-9]+@ex[.]com$', '^nobody$'], flags: 'i' }],
    [
      'regex_list_raw',
      'rows_good',
      'email',
      { regex_list: ['^u\\d+@', "\\bex\\.com$|'"], is_raw: true, match_on: 'all' },
    ],
  ],
  expect_column_values_to_not_be_in_set: [
    ['not_in_set_good', 'rows_good', 'code', { value_set: ['ZZ', 'C'] }],
    ['not_in_set_bad', 'rows_bad', 'code', { value_set: ['ZZ', 'C'] }],
    ['not_in_set_unquoted', 'rows_bad', 'id', { value_set: [7, 8, 100], quote_values: false }],
    ['not_in_set_where', 'rows_bad', 'code', { value_set: ['ZZ', 'C'], row_condition: 'id < 7' }],
  ],
  expect_column_values_to_not_match_like_pattern: [
    ['not_like_good', 'rows_good', 'email', { like_pattern: '%bad%' }],
    ['not_like_bad', 'rows_bad', 'email', { like_pattern: '%bad%' }],
    ['not_like_where', 'rows_bad', 'email', { like_pattern: '%bad%', row_condition: "email != 'bad-email'" }],
  ],
  expect_column_values_to_not_match_like_pattern_list: [
    [
      'not_like_list_all_good',
      'rows_good',
      'email',
      { like_pattern_list: ['%bad%', '%EX%'], match_on: 'all' },
    ],
    ['not_like_list_all_bad', 'rows_bad', 'email', { like_pattern_list: ['%bad%', '%EX%'], match_on: 'all' }],
    ['not_like_list_any', 'rows_bad', 'email', { like_pattern_list: ['%@%', '%EX%'] }],
    ['not_like_list_any_pass', 'rows_bad', 'email', { like_pattern_list: ['%bad%', '%EX%'] }],
  ],
  expect_column_values_to_not_match_regex: [
    ['not_regex_good', 'rows_good', 'email', { regex: '[A-Z]' }],
    ['not_regex_bad', 'rows_bad', 'email', { regex: '[A-Z]' }],
    ['not_regex_flags', 'rows_good', 'email', { regex: '[A-Z]', flags: 'i' }],
    [
      'not_regex_raw_where',
      'rows_bad',
      'email',
      { regex: '\\s|\\bbad\\b', is_raw: true, row_condition: 'id != 9' },
    ],
  ],
  expect_column_values_to_not_match_regex_list: [
    ['not_regex_list_all_good', 'rows_good', 'email', { regex_list: ['-', '[A-Z]'], match_on: 'all' }],
    ['not_regex_list_all_bad', 'rows_bad', 'email', { regex_list: ['-', '[A-Z]'], match_on: 'all' }],
    ['not_regex_list_any', 'rows_bad', 'email', { regex_list: ['^U', 'COM$'], flags: 'i' }],
    ['not_regex_list_any_pass', 'rows_good', 'email', { regex_list: ['-', '[A-Z]'] }],
  ],
};

const CASES: (Case & { failures: number })[] = Object.entries(SPECS).flatMap(([name, specs]) =>
  specs.map(([caseName, model, column, args]) => ({
    name: caseName,
    test: name,
    model,
    column,
    args,
    failures: ORACLES[name]!(model, column, args),
  })),
);

test('dbt_expectations column tests (b): each passes and fails as computed from its rows', {
  skip,
}, async (t) => {
  // Every test of this share has cases, an oracle, a pass and a failure.
  assert.deepEqual(Object.keys(SPECS).sort(), Object.keys(ORACLES).sort());
  for (const name of Object.keys(SPECS)) {
    const failures = CASES.filter((c) => c.test === name).map((c) => c.failures);
    assert.ok(failures.includes(0) && failures.some((n) => n > 0), `${name}: a pass and a fail`);
  }

  const dir = tempDir(t);
  const base = packagesProject(dir, PACKAGES!);
  writeFiles(dir, {
    'dbt_project.yml': base['dbt_project.yml']!,
    'profiles.yml': base['profiles.yml']!,
    'packages.yml': base['packages.yml']!,
    ...MODELS,
    'models/schema.yml': schemaYaml(CASES),
  });
  const deps = await runCli(['deps'], { cwd: dir });
  assert.equal(deps.code, 0, deps.stderr);
  const build = await runCli(['build'], { cwd: dir });
  const { results } = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string; failures: number | null; message: string | null }[];
  };
  const byName = new Map(results.map((r) => [r.unique_id.split('.')[2]!, r]));
  for (const model of Object.keys(MODELS).map((file) => file.slice('models/'.length, -'.sql'.length)))
    assert.equal(
      byName.get(model)?.status,
      'success',
      `${model}: ${byName.get(model)?.message}\n${build.stderr}`,
    );
  assert.equal(results.length, Object.keys(MODELS).length + CASES.length);
  assert.equal(build.code, 1, 'failing tests fail the build');

  const wrong: string[] = [];
  for (const c of CASES) {
    const result = byName.get(c.name);
    const expected = c.failures === 0 ? 'pass' : 'fail';
    if (result?.status !== expected || result.failures !== c.failures)
      wrong.push(
        `${c.name}: expected ${expected} (${c.failures}), got ${result?.status} (${result?.failures}): ${result?.message}`,
      );
  }
  assert.deepEqual(wrong, []);
});
