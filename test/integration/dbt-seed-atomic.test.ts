import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// A seed is published as a model is (src/dbt/materialize/publish.ts): its rows go into a helper that
// replaces the live table in one statement. A reload that fails — here a value its declared column
// type refuses — must leave the live table exactly as the last good load left it, not truncated.
test('a seed reload that fails leaves the live table as it was, and no helper behind', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  const project = (csv: string) =>
    writeFiles(dir, {
      'dbt_project.yml': 'name: sa\nprofile: sa\nseeds:\n  sa:\n    +column_types: {v: Int32}\n',
      'profiles.yml': `sa:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: sa}\n`,
      'seeds/s.csv': csv,
    });
  project('k,v\na,1\nb,2\n');
  const first = await runCli(['seed'], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);

  project('k,v\na,10\nb,not-a-number\nc,30\n');
  const failed = await runCli(['seed'], { cwd: dir });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);

  const rows = await queryStore<{ k: string; v: number }>(store, 'sa', 'select k, v from sa.s order by k');
  assert.deepEqual(
    rows.map((r) => [r.k, Number(r.v)]),
    [
      ['a', 1],
      ['b', 2],
    ],
  );
  const tables = await queryStore<{ name: string }>(
    store,
    'sa',
    "select name from system.tables where database = 'sa' and name like 's%' order by name",
  );
  assert.deepEqual(
    tables.map((r) => r.name),
    ['s'],
    'no seed helper is left behind',
  );

  project('k,v\na,10\nb,20\n');
  const fixed = await runCli(['seed'], { cwd: dir });
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  const reloaded = await queryStore<{ v: number }>(store, 'sa', 'select v from sa.s order by k');
  assert.deepEqual(
    reloaded.map((r) => Number(r.v)),
    [10, 20],
  );
});
