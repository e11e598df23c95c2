import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// `dema show` as dbt's: a node's compiled SQL (or --inline SQL with refs) run with a limit, nothing
// built. ClickHouse is the oracle: the rows shown are the rows the built model holds.

function project(dir: string): Record<string, string> {
  return {
    ...chdbProject('shows', join(dir, 'warehouse')),
    'models/eph.sql':
      "{{ config(materialized='ephemeral') }}\nselect number as n, toString(number) as s from numbers(20)\n",
    'models/big.sql': "select n, s from {{ ref('eph') }} where n % 3 != 0\n",
    'analyses/wide.sql': "select count() as rows_in_big from {{ ref('big') }}\n",
  };
}

type Shown = { node: string; show: Record<string, unknown>[] };
const shown = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Shown);
const sorted = (rows: Record<string, unknown>[]) => rows.map((row) => JSON.stringify(row)).sort();

test('show previews compiled SQL with a limit and builds nothing; the rows are the built model', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const store = join(dir, 'warehouse');

  const text = await cli('show', '-s', 'big');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Previewing node 'big':\nn +s\n/);
  assert.match(text.stdout, /\(5 rows\)/);
  const nothingBuilt = await queryStore<{ n: number }>(
    store,
    'default',
    "select count() as n from system.tables where name = 'big'",
  );
  assert.equal(Number(nothingBuilt[0]!.n), 0, 'show must not build the model');

  assert.equal((await cli('run')).code, 0);
  const built = await queryStore<Record<string, unknown>>(store, 'shows', 'select n, s from shows.big');
  const all = shown((await cli('show', '-s', 'big', '--limit', '-1', '--output', 'json')).stdout);
  assert.equal(all[0]!.node, 'big');
  assert.deepEqual(
    sorted(all[0]!.show.map((row) => ({ n: Number(row.n), s: row.s }))),
    sorted(built.map((row) => ({ n: Number(row.n), s: row.s }))),
  );
  const three = shown((await cli('show', '-s', 'big', '--limit', '3', '--output', 'json')).stdout)[0]!.show;
  assert.equal(three.length, 3);

  // Several nodes in DAG order; an analysis is previewed too. --inline renders refs, ephemeral included.
  const both = shown((await cli('show', '-s', 'wide', 'big', '--output', 'json')).stdout);
  assert.deepEqual(
    both.map((preview) => preview.node),
    ['big', 'wide'],
  );
  assert.equal(Number(both[1]!.show[0]!.rows_in_big), built.length);
  const inline = await cli(
    'show',
    '--inline',
    "select count() as c from {{ ref('eph') }} where n in (select n from {{ ref('big') }})",
    '--output',
    'json',
  );
  assert.equal(inline.code, 0, inline.stderr);
  assert.deepEqual(shown(inline.stdout), [{ node: 'inline_query', show: [{ c: built.length }] }]);
});

test('show: usage errors are coded, exit 2', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const cases: [string[], RegExp][] = [
    [['show'], /needs --select or --inline/],
    [['show', '-s', 'big', '--inline', 'select 1'], /either --select or --inline/],
    [['show', '-s', 'bgi'], /does not match any enabled nodes[\s\S]*matches no model/],
    [['show', '-s', 'big', '--limit', 'ten'], /--limit ten is not a whole number/],
    [['show', '--inline', "select * from {{ ref('nope') }}"], /REF_NOT_FOUND.*ref\('nope'\)/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(...args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
  }
});

test("show -s model previews that model, not the tests selection takes with it (dbt's show is one node)", async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...project(dir),
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: big\n    columns:\n      - name: n\n        tests: [not_null]\n',
  });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const model = await cli('show', '-s', 'big', '--output', 'json');
  assert.equal(model.code, 0, model.stderr);
  assert.deepEqual(
    shown(model.stdout).map((preview) => preview.node),
    ['big'],
  );
  // A test selected directly (by name or by method) is previewed: its query's rows are its failures.
  assert.equal((await cli('run')).code, 0);
  const byName = await cli('show', '-s', 'not_null_big_n', '--output', 'json');
  assert.deepEqual(shown(byName.stdout), [{ node: 'not_null_big_n', show: [] }]);
  const byMethod = await cli('show', '-s', 'test_type:generic', '--output', 'json');
  assert.deepEqual(
    shown(byMethod.stdout).map((preview) => preview.node),
    ['not_null_big_n'],
  );
});
