import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { scratchServerSchema, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * delete+insert finds the live rows a batch replaces while bounding its search by the batch's key
 * range (key-bounds.ts): corrections at the far ends of that range, in the middle of the table, or
 * none at all, on chDB and on the 18.16 server. The oracle is the batches applied in TypeScript.
 */

const HOUR = 3600;
const START = Date.UTC(2023, 0, 1) / 1000;

// Each batch: [key number, seconds after 2023-01-01] per row, its value the batch number.
const BATCHES: [number, number][][] = [
  Array.from({ length: 1000 }, (_, i) => [i, i * 4 * HOUR]),
  // Corrections of the oldest rows (January) with new rows in June: the range spans the table.
  [...[0, 1, 2, 3, 4].map((i): [number, number] => [i, i * 4 * HOUR]), [1000, 4000 * HOUR]],
  // Corrections in March only: a narrow range in the middle.
  [500, 501, 502].map((i): [number, number] => [i, i * 4 * HOUR]),
  // New keys only, in a month of their own.
  [[2000, 5000 * HOUR]],
  // The newest row corrected together with the oldest.
  [
    [1000, 4000 * HOUR],
    [0, 0],
  ],
];

function modelSql(orderBy: string): string {
  const rows = BATCHES.map((batch, b) =>
    batch.map(([k, s]) => `select 'k${k}' as k, toDateTime(${START + s}, 'UTC') as ts, toUInt32(${b}) as v`),
  );
  const branches = rows
    .map(
      (selects, b) =>
        `{% ${b === 0 ? 'if' : 'elif'} var('batch') == ${b} %}\n${selects.join('\nunion all\n')}`,
    )
    .join('\n');
  return `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['k', 'ts'], order_by=${orderBy}, partition_by='toYYYYMM(ts)') }}
select k, ts, v from (
${branches}
{% endif %}
)
`;
}

function expected(upTo: number): string[] {
  const rows = new Map<string, number>();
  for (let b = 0; b <= upTo; b++) for (const [k, s] of BATCHES[b]!) rows.set(`k${k}\t${START + s}`, b);
  return [...rows].map(([key, v]) => `${key}\t${v}`).sort();
}

async function batchesMatchOracle(dir: string, dump: (model: string) => Promise<string[]>): Promise<void> {
  for (let b = 0; b < BATCHES.length; b++) {
    const result = await runCli(['run', '--vars', `{batch: ${b}}`], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const model of ['time_first', 'key_first'])
      assert.deepEqual(await dump(model), expected(b), `${model} after batch ${b}`);
  }
}

function project(profile: string): Record<string, string> {
  return {
    'dbt_project.yml': 'name: bounds\nprofile: bounds\n',
    'profiles.yml': profile,
    'models/time_first.sql': modelSql("['ts', 'k']"),
    'models/key_first.sql': modelSql("['k', 'ts']"),
  };
}

const DUMP = (table: string) => `select k, toUnixTimestamp(ts) as ts, v from ${table}`;
const lines = (rows: { k: string; ts: number; v: number }[]) =>
  rows.map((r) => `${r.k}\t${r.ts}\t${r.v}`).sort();

test('delete+insert with key bounds replaces exactly the corrected rows (chDB)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(
    dir,
    project(`bounds:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: bounds}\n`),
  );
  await batchesMatchOracle(dir, async (model) =>
    lines(await queryStore<{ k: string; ts: number; v: number }>(store, 'bounds', DUMP(`bounds.${model}`))),
  );
});

test('delete+insert with key bounds replaces exactly the corrected rows (server)', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const dir = tempDir(t);
  const { schema, post, profile } = scratchServerSchema(t, 'dbt_bounds', 'bounds');
  writeFiles(dir, project(profile));
  await batchesMatchOracle(dir, async (model) =>
    (await post(`${DUMP(`${schema}.${model}`)} format TSV`)).split('\n').filter(Boolean).sort(),
  );
});
