import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CASES,
  DEPRECATED_SURROGATE_KEY,
  expectationsProject,
  GOOD_ROWS,
  HALF_ROWS,
  MODELS,
  ROW_COLUMNS,
} from '../fixtures/expectations-tables.ts';
import { packagesProject } from '../fixtures/packages-project.ts';
import { runCli } from '../helpers/cli.ts';
import {
  expectedFailures,
  groupsOf,
  inGroup,
  percentileCont,
  TABLES,
} from '../helpers/expectations-oracle-c.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * dbt_expectations' table-shape, multi-column and generalized tests and dbt_utils' fewer_rows_than
 * (the real packages, `dema deps` + one `dema build` on chDB), and the public dbt_utils /
 * dbt_expectations macros the packages corpus does not call. Each test's failure count is computed
 * from the fixture's rows with the test's documented meaning (helpers/expectations-oracle-c.ts), and
 * each macro's result here, never read back from dema.
 */

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const rad = (deg: number) => (deg * Math.PI) / 180;

test('dbt_expectations table-shape, multi-column and generalized tests pass on good and fail on bad; dbt_utils macros with their options', {
  skip,
}, async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, expectationsProject(dir, packagesProject(dir, PACKAGES!)['packages.yml']!));
  const deps = await runCli(['deps'], { cwd: dir });
  assert.equal(deps.code, 0, deps.stderr);

  // dema's datetime.now() is the UTC wall clock; the build may cross a New Year.
  const yearBefore = new Date().getUTCFullYear();
  const build = await runCli(['build', '--json'], { cwd: dir });
  const yearAfter = new Date().getUTCFullYear();
  const read = <R = Record<string, unknown>>(sql: string) => queryStore<R>(store, 'expc', sql);
  const results = (
    JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
      results: { unique_id: string; status: string; failures: number | null; message: string | null }[];
    }
  ).results;
  const byName = new Map(results.map((r) => [r.unique_id.split('.')[2]!, r]));

  // Every model builds; every case passes on its good model and fails on its bad one with the count above.
  const models = Object.keys(MODELS).map((file) => file.slice('models/'.length, -'.sql'.length));
  for (const model of models)
    assert.equal(byName.get(model)?.status, 'success', `${model}: ${byName.get(model)?.message}`);
  assert.equal(results.length, models.length + CASES.length);
  for (const c of CASES) {
    const result = byName.get(c.id);
    assert.ok(result, c.id);
    const failures = expectedFailures(c);
    assert.equal(failures > 0, c.id.endsWith('__fail'), `${c.id}: the data must make it ${c.id.slice(-4)}`);
    assert.deepEqual(
      [result.status, result.failures],
      [failures > 0 ? 'fail' : 'pass', failures],
      `${c.id} (${c.test} on ${c.model}): ${result.message}`,
    );
  }
  assert.equal(build.code, 1, 'the failing cases fail the build');

  // The tables hold the fixture's rows, with the columns (names, order) ClickHouse reports.
  for (const [model, { rows, columns }] of Object.entries(TABLES)) {
    const reported = await read<{ name: string }>(
      `select name from system.columns where database = 'expc' and table = '${model}' order by position`,
    );
    assert.deepEqual(
      reported.map((r) => r.name),
      columns,
      model,
    );
    if (model === 'cols_bad') continue;
    const stored = await read<Record<string, unknown>>(
      `select id, grp, a, b, c, s, toString(day) as day, dateDiff('hour', ts, now()) as age from ${model} order by id`,
    );
    assert.deepEqual(
      stored.map((r) => [r.id, r.grp, r.a, r.b, r.c, r.s, r.day].map(String).join('|')),
      [...rows].sort((x, y) => x.id - y.id).map((r) => [r.id, r.grp, r.a, r.b, r.c, r.s, r.day].join('|')),
      model,
    );
    assert.deepEqual(
      stored.map((r) => Math.abs(Number(r.age) - rows.find((x) => x.id === r.id)!.ageHours) <= 1),
      stored.map(() => true),
      `${model}: ages`,
    );
  }

  // dbt_utils macros the corpus does not call.
  const one = async (sql: string) => (await read(sql))[0]!;
  assert.deepEqual(await one('select cols from utils_filtered_columns'), {
    cols: ROW_COLUMNS.filter((c) => c !== 'ts' && c !== 'day').join(','),
  });
  const topGroups = [...new Set(GOOD_ROWS.filter((r) => r.a > 3).map((r) => r.grp))]
    .map((g) => [g, Math.max(...GOOD_ROWS.filter((r) => r.a > 3 && r.grp === g).map((r) => r.a))] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 2)
    .map(([g]) => g);
  assert.deepEqual(await one('select top_groups from utils_column_values_options'), {
    top_groups: topGroups.join(','),
  });
  assert.deepEqual(await one('select fallback from utils_column_values_default'), { fallback: 'none' });

  const starColumns = await read<{ name: string }>(
    "select name from system.columns where database = 'expc' and table = 'utils_star_options' order by position",
  );
  const kept = ROW_COLUMNS.filter((c) => c !== 'ts' && c !== 'day');
  assert.deepEqual(
    starColumns.map((r) => r.name),
    [...kept.map((c) => (c === 'a' ? 'alpha' : `p_${c}_s`)), 'day_u', 'ts_u'],
  );
  const starred = await read<Record<string, unknown>>(
    'select p_id_s, p_grp_s, alpha, p_s_s, toString(day_u) as day_u from utils_star_options order by p_id_s',
  );
  assert.deepEqual(
    starred.map((r) => Object.values(r).map(String).join('|')),
    HALF_ROWS.map((r) => [r.id, r.grp, r.a, r.s, r.day].join('|')),
  );

  // surrogate_key_treat_nulls_as_empty_strings (the project's var): a NULL part hashes as ''.
  const keys = await read<{ id: number; sk: string }>(
    'select id, sk from utils_surrogate_key_empty order by id',
  );
  assert.deepEqual(
    keys.map((r) => r.sk),
    GOOD_ROWS.map((r) => md5(`${r.grp}-${r.id % 4 === 0 ? '' : r.a}`)),
  );

  // pivot with agg, then/else values, prefix/suffix, distinct, cmp and alias=false.
  const columnsOf = async (table: string) =>
    (
      await read<{ name: string }>(
        `select name from system.columns where database = 'expc' and table = '${table}' order by position`,
      )
    ).map((r) => r.name);
  assert.deepEqual(await columnsOf('utils_pivot_options'), [
    'grp',
    'max_a_even',
    'max_a_odd',
    'even_s7',
    'odd_s7',
    'over_6',
  ]);
  const pivoted = await read<Record<string, unknown>>('select * from utils_pivot_options order by grp');
  assert.deepEqual(
    pivoted.map((r) => Object.values(r).map(String).join('|')),
    groupsOf(GOOD_ROWS)
      .sort()
      .map((g) => {
        const rs = inGroup(GOOD_ROWS, g);
        const parity = (even: boolean) => rs.filter((r) => (r.id % 2 === 0) === even);
        return [
          g,
          Math.max(0, ...parity(true).map((r) => r.a)),
          Math.max(0, ...parity(false).map((r) => r.a)),
          new Set(parity(true).map((r) => r.s % 7)).size,
          new Set(parity(false).map((r) => r.s % 7)).size,
          rs.filter((r) => r.id > 6).length,
        ].join('|');
      }),
  );
  // unpivot: exclude kept, remove dropped, field_name / value_name.
  const unpivoted = await read<Record<string, unknown>>('select id, col, val from utils_unpivot_options');
  assert.deepEqual(
    unpivoted.map((r) => `${r.id}|${r.col}|${r.val}`).sort(),
    HALF_ROWS.flatMap((r) => [`${r.id}|b|${r.b}`, `${r.id}|s|${r.s}`]).sort(),
  );
  // union_relations: include (case-insensitive), source_column_name, where, column_override; exclude.
  assert.deepEqual(await columnsOf('utils_union_include'), ['src', 'id', 's']);
  const included = await read<Record<string, unknown>>(
    'select src, id, s, toTypeName(s) as type from utils_union_include',
  );
  assert.deepEqual(
    included.map((r) => Object.values(r).map(String).join('|')).sort(),
    (
      [
        ['rows_half', HALF_ROWS],
        ['rows_good', GOOD_ROWS],
      ] as const
    )
      .flatMap(([name, rows]) =>
        rows.filter((r) => r.id <= 2).map((r) => `\`expc\`.\`${name}\`|${r.id}|${r.s}|Int64`),
      )
      .sort(),
  );
  assert.deepEqual(await columnsOf('utils_union_exclude'), ['_dbt_source_relation', 'id', 'x']);
  const excluded = await read<Record<string, unknown>>('select * from utils_union_exclude');
  assert.deepEqual(
    excluded.map((r) => Object.values(r).map(String).join('|')).sort(),
    [...GOOD_ROWS.map((r) => `\`expc\`.\`rows_good\`|${r.id}|null`), '`expc`.`pat_alpha`|null|1'].sort(),
  );
  // get_single_value: a query without rows gives the default (agate keeps an empty result's columns).
  assert.deepEqual(await one('select v from utils_single_value_default'), { v: -1 });

  // A month spine from the 15th: one row per month boundary crossed before the (excluded) end.
  const spine = await read<{ d: string }>(
    'select toString(date_month) as d from utils_date_spine_month order by d',
  );
  assert.deepEqual(
    spine.map((r) => r.d),
    [0, 1, 2, 3].map((k) => `2024-${String(k + 1).padStart(2, '0')}-15`),
  );

  const helpers = await one('select * from utils_helpers');
  const powers = (n: number) => {
    let k = 1;
    while (2 ** k < n) k++;
    return k;
  };
  const [lat1, lon1, lat2, lon2] = [48.864716, 2.349014, 52.520008, 13.404954];
  const h =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  const miles = 2 * 3961 * Math.asin(Math.sqrt(h));
  assert.ok(Math.abs(Number(helpers.km) - miles * 1.60934) < 0.01, `haversine km ${helpers.km}`);
  assert.ok(Math.abs(Number(helpers.right_angle) - Math.PI / 2) < 1e-12);
  assert.deepEqual([helpers.powers_9, helpers.powers_16, helpers.days].map(Number), [
    powers(9),
    powers(16),
    (Date.UTC(2024, 2, 1) - Date.UTC(2024, 0, 1)) / 86_400_000,
  ]);
  // slugify (dbt_utils' README): lower case, spaces and dashes to one _, other characters dropped,
  // a leading digit prefixed with _.
  assert.deepEqual(
    [helpers.slug_words, helpers.slug_digit, helpers.slug_empty],
    ['hello_world_foo', '_9_lives', ''],
  );
  assert.match(String(helpers.clock), /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
  assert.ok([yearBefore, yearAfter].includes(Number(helpers.year)), `year ${helpers.year}`);
  assert.match(String(helpers.log_line), /^\d\d:\d\d:\d\d \+ a message$/);
  const logged = build.events.filter((e) => e.type === 'log').map((e) => String(e.message));
  assert.ok(
    logged.some((m) => /^\d\d:\d\d:\d\d \+ expc log_info marker$/.test(m)),
    `log_info prints at info level: ${logged.join(' / ')}`,
  );

  const tables = async (model: string) =>
    (await read<Record<string, string>>(`select * from ${model}`))
      .map((r) => [r.table_schema, r.table_name, r.table_type].join('|'))
      .sort();
  assert.deepEqual(await tables('utils_tables_by_pattern'), ['expc|pat_alpha|table', 'expc|pat_beta|view']);
  assert.deepEqual(await tables('utils_tables_by_prefix'), ['expc|pat_beta|view']);
  assert.deepEqual(await one('select names from utils_relations_by_prefix'), { names: 'pat_alpha,pat_beta' });
  const types = await read<{ table_name: string; table_type: string }>(
    'select table_name, table_type from utils_table_types order by table_name',
  );
  assert.deepEqual(
    types.map((r) => `${r.table_name}|${r.table_type}`),
    ['pat_alpha|table', 'pat_beta|view', 'pat_gamma|table'],
  );
  const nulled = await read<{ n: number; txt: string | null }>(
    'select n, txt from utils_nullcheck order by n',
  );
  assert.deepEqual(
    nulled.map((r) => r.txt),
    [0, 1, 2, 3].map((n) => (n % 2 === 0 ? null : 'v')),
  );

  // dbt_expectations' user-facing macros.
  const scalars = await one('select * from exp_scalars');
  assert.ok(Math.abs(Number(scalars.ln_e2) - 2) < 1e-12, `log_natural ${scalars.ln_e2}`);
  assert.ok(Number(scalars.r) >= 0 && Number(scalars.r) < 1, `rand() is a float in [0, 1): ${scalars.r}`);
  const text = 'abcabc';
  assert.deepEqual([scalars.first_c, scalars.c_from_4, scalars.second_c, scalars.no_z].map(Number), [
    text.indexOf('c') + 1,
    text.indexOf('c', 3) + 1,
    text.indexOf('c', text.indexOf('c') + 1) + 1,
    0,
  ]);
  // flags (re2's, in front as (?i)) and is_raw (\b stays a word boundary, not a backspace).
  assert.deepEqual([scalars.c_any_case, scalars.c_at_word].map(Number), [
    'ABCabc'.toLowerCase().indexOf('c') + 1,
    'ab cd'.search(/\bc/) + 1,
  ]);
  assert.deepEqual(
    [scalars.ts, scalars.dt, scalars.md5_abc],
    ['2024-01-02 03:04:05', '2024-01-02 03:04:05', md5('abc')],
  );
  const aggregates = await read<{ grp: string; med: number; p25: number }>(
    'select * from exp_aggregates order by grp',
  );
  assert.deepEqual(
    aggregates.map((r) => [r.grp, Number(r.med), Number(r.p25)]),
    groupsOf(GOOD_ROWS)
      .sort()
      .map((g) => {
        const a = inGroup(GOOD_ROWS, g).map((r) => r.a);
        return [g, percentileCont(a, 0.5), percentileCont(a, 0.25)];
      }),
  );
  const partitioned = await read<{ id: number; group_median: number }>(
    'select id, group_median from exp_partitioned order by id',
  );
  assert.deepEqual(
    partitioned.map((r) => Number(r.group_median)),
    GOOD_ROWS.map((row) =>
      percentileCont(
        inGroup(GOOD_ROWS, row.grp).map((r) => r.c),
        0.5,
      ),
    ),
  );

  // dbt_utils.surrogate_key is deprecated: it raises at parse, naming the model, as in dbt.
  writeFiles(dir, DEPRECATED_SURROGATE_KEY);
  const ls = await runCli(['ls'], { cwd: dir });
  assert.equal(ls.code, 2, ls.stderr);
  assert.match(
    ls.stderr,
    /`dbt_utils\.surrogate_key` has been replaced by\s+`dbt_utils\.generate_surrogate_key`/,
  );
  assert.match(ls.stderr, /The expc\.old_key model triggered this warning/);
});
