import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { capabilitiesFor } from '../../src/warehouse/capabilities.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, tempDir, testTarget, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// `select subtotal as subtotal_cents, subtotal / 100 as subtotal`: standard SQL reads `subtotal` in
// the first column as the input column; ClickHouse's default lets the alias replace it, so
// subtotal_cents silently becomes subtotal / 100. dema runs dbt projects the standard way
// (prefer_column_name_to_alias = 1) unless the profile switches it off. Expected rows by hand.
const SHADOW = `select id, subtotal as subtotal_cents, {{ cents_to_dollars('subtotal') }} as subtotal
from {{ ref('amounts') }}`;
const MODELS = ['m_table', 'm_view', 'm_incremental', 'm_from_ephemeral'] as const;

function project(dir: string, store: string, customSettings: string) {
  writeFiles(dir, {
    'dbt_project.yml': 'name: sh\nprofile: sh\n',
    'profiles.yml': `sh:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: sh${customSettings}}\n`,
    'seeds/amounts.csv': 'id,subtotal\n1,250\n2,1000\n',
    'macros/cents.sql': '{% macro cents_to_dollars(c) %}({{ c }} / 100){% endmacro %}\n',
    'models/m_table.sql': `{{ config(materialized='table') }}\n${SHADOW}\n`,
    'models/m_view.sql': `{{ config(materialized='view') }}\n${SHADOW}\n`,
    'models/m_incremental.sql': `{{ config(materialized='incremental', unique_key='id') }}\n${SHADOW}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n`,
    'models/m_ephemeral.sql': `{{ config(materialized='ephemeral') }}\n${SHADOW}\n`,
    'models/m_from_ephemeral.sql': `{{ config(materialized='table') }}\nselect * from {{ ref('m_ephemeral') }}\n`,
    // A data test that holds only under standard SQL: cents are 100 × dollars.
    'tests/cents_are_100x.sql': "select * from {{ ref('m_view') }} where subtotal_cents != subtotal * 100\n",
  });
}

async function rows(store: string, model: string, readerSetting = '') {
  const found = await queryStore<{ id: number; subtotal_cents: number; subtotal: number }>(
    store,
    'sh',
    `select id, toFloat64(subtotal_cents) as subtotal_cents, toFloat64(subtotal) as subtotal from sh.${model} order by id${readerSetting}`,
  );
  return found.map((r) => [Number(r.id), Number(r.subtotal_cents), Number(r.subtotal)]);
}

test('the alias-shadowing pattern gives the standard-SQL result as table, view, incremental and ephemeral', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  project(dir, store, '');
  const build = await runCli(['build'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const standard = [
    [1, 250, 2.5],
    [2, 1000, 10],
  ];
  for (const model of MODELS) assert.deepEqual(await rows(store, model), standard, model);
  // A reader with ClickHouse's default (a BI client) still gets the standard view: the view stores it.
  assert.deepEqual(await rows(store, 'm_view', ' settings prefer_column_name_to_alias = 0'), standard);
  // The incremental path (insert of new rows only) is standard too.
  appendFileSync(join(dir, 'seeds/amounts.csv'), '3,5\n');
  const again = await runCli(['build'], { cwd: dir });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const withNew = [...standard, [3, 5, 0.05]];
  for (const model of MODELS) assert.deepEqual(await rows(store, model), withNew, model);
});

test('a profile switching prefer_column_name_to_alias off gets ClickHouse semantics (and the data test fails)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  project(dir, store, ', custom_settings: {prefer_column_name_to_alias: 0}');
  const build = await runCli(['build'], { cwd: dir });
  assert.equal(build.code, 1, build.stdout + build.stderr);
  assert.match(build.stdout + build.stderr, /cents_are_100x/);
  const clickhouse = [
    [1, 2.5, 2.5],
    [2, 10, 10],
  ];
  // Read as the project reads (setting off); the view stores no setting, so it follows its reader.
  const off = ' settings prefer_column_name_to_alias = 0';
  for (const model of MODELS) assert.deepEqual(await rows(store, model, off), clickhouse, model);
  const view = await queryStore<{ statement: string }>(store, 'sh', 'show create table sh.m_view');
  assert.doesNotMatch(String(view[0]?.statement), /prefer_column_name_to_alias/);
});

test('prefer_column_name_to_alias is a default only where the engine has it (21.4+)', () => {
  assert.equal(capabilitiesFor('18.16.1').preferColumnNameToAliasSetting, false);
  assert.equal(capabilitiesFor('21.3.20').preferColumnNameToAliasSetting, false);
  assert.equal(capabilitiesFor('21.4.1').preferColumnNameToAliasSetting, true);
  assert.equal(capabilitiesFor('26.7.2.1').preferColumnNameToAliasSetting, true);
});

// The README's account of the default, on a plain dema session (any command's): a shadowed name in
// WHERE and GROUP BY is the input column, as in standard SQL, and so is one in ORDER BY (where
// standard SQL would sort by the output column); a target setting of 0 restores ClickHouse's reading.
test('a dema session reads shadowed names in WHERE, GROUP BY and ORDER BY as input columns; 0 restores the alias', async (t) => {
  const input = 'select toInt32(number + 1) as x from numbers(3)';
  const read = async (settings?: Record<string, number>) => {
    const target = { ...testTarget('embedded', tempDir(t)), ...(settings ? { settings } : {}) };
    const warehouse = await openTestWarehouse(t, target);
    const text = async (sql: string) => (await warehouse.queryText(sql, 'TabSeparated')).trim().split('\n');
    const found = {
      where: await text(`select x * 10 as x from (${input}) where x = 1`),
      groupBy: await text(`select x % 2 as x, count() as n from (${input}) group by x order by n, x`),
      orderBy: await text(`select -x as x from (${input}) order by x`),
    };
    await warehouse.close(); // chDB: one open data directory per process
    return found;
  };
  // x is 1, 2, 3: filtered, grouped and ordered by the input x (three groups, in x's order).
  assert.deepEqual(await read(), {
    where: ['10'],
    groupBy: ['1\t1', '0\t1', '1\t1'],
    orderBy: ['-1', '-2', '-3'],
  });
  // ClickHouse's reading: the alias everywhere.
  assert.deepEqual(await read({ prefer_column_name_to_alias: 0 }), {
    where: [''],
    groupBy: ['0\t1', '1\t2'],
    orderBy: ['-3', '-2', '-1'],
  });
});
