import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { scratchServerSchema, serverSkipReason, tempDir, writeFiles } from '../helpers/fixtures.ts';

// Ephemeral models are injected as `WITH name AS (subquery)`, which ClickHouse parses from 20.1.
// On an older server the model reading one fails with dema's coded error naming the file, the
// ephemeral model and the way out — not with the server's bare syntax error.
test('an ephemeral model on a server without CTE subqueries is a clear error, other models build', async (t) => {
  const skip = await serverSkipReason();
  if (skip) return t.skip(skip);
  const { schema, post, profile } = scratchServerSchema(t, 'dbt_eph', 'eph');
  const version = (await post('select version()')).trim();
  if (!/^1\d\./.test(version)) return t.skip(`server ${version} has CTE subqueries`);
  const dir = tempDir(t);
  writeFiles(dir, {
    'dbt_project.yml': 'name: eph\nprofile: eph\n',
    'profiles.yml': profile,
    'models/base.sql': "{{ config(materialized='ephemeral') }}\nselect 1 as id\n",
    'models/reads_base.sql': "select id from {{ ref('base') }}\n",
    'models/plain.sql': 'select 2 as id\n',
  });
  const run = await runCli(['run'], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /models\/reads_base\.sql: reads ephemeral model\.eph\.base, but ClickHouse 18\.[\d.]+ has no WITH name AS \(subquery\)/,
  );
  assert.match(run.stdout, /\+materialized: view/);
  assert.equal((await post(`select id from ${schema}.plain format TSV`)).trim(), '2');
});
