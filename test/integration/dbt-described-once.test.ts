import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * An incremental model with joins is described once (column-names.ts hands its columns to the
 * materialization). When ClickHouse qualifies a joined column (`a.id` with three relations) the SQL
 * is rewritten, and the columns of the rewritten SQL, not the described ones, must be inserted.
 */

const joined = (
  qualified: boolean,
) => `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id', order_by='id') }}
select ${qualified ? 'a.id' : 'a.id as id'}, b.v as v, c.w as w
from (select toUInt64(number + {{ var('offset') }}) as id from numbers(5)) a
join (select toUInt64(number) as id, toUInt32(number * 10) as v from numbers(100)) b on b.id = a.id
join (select toUInt64(number) as id, toUInt32(number * 100) as w from numbers(100)) c on c.id = a.id
`;

test('joined incremental models insert every column, renamed or not, on each run', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, {
    ...chdbProject('once', store),
    'models/renamed.sql': joined(true),
    'models/plain.sql': joined(false),
  });
  for (const offset of [0, 3]) {
    const result = await runCli(['run', '--vars', `{offset: ${offset}}`], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  }
  // Ids 0–4, then 3–7 replacing 3 and 4: v and w follow the id.
  const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, v: id * 10, w: id * 100 }));
  for (const model of ['renamed', 'plain']) {
    const columns = await queryStore<{ name: string }>(store, 'once', `describe once.${model}`);
    assert.deepEqual(
      columns.map((c) => c.name),
      ['id', 'v', 'w'],
      model,
    );
    assert.deepEqual(
      await queryStore(store, 'once', `select * from once.${model} order by id`),
      expected,
      model,
    );
  }
});
