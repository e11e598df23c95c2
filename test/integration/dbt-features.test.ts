import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { featuresProject } from '../fixtures/features-project.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

type Done = { type: string; uniqueId: string; status: string; message: string };

function statuses(events: Record<string, unknown>[]): Map<string, Done> {
  const done = events.filter((event) => event.type === 'dbt.node.done') as unknown as Done[];
  return new Map(done.map((event) => [event.uniqueId, event]));
}

test('a dbt project with every supported feature builds on embedded ClickHouse', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, featuresProject(store));
  const q = <Row = Record<string, unknown>>(sql: string) => queryStore<Row>(store, 'features', sql);

  const yearBefore = new Date().getUTCFullYear(); // the build may cross a New Year
  const first = await runCli(['build', '--json'], { cwd: dir });
  const results = statuses(first.events);
  const failed = [...results.values()].filter((r) => r.status !== 'success' && r.status !== 'pass');
  assert.deepEqual(
    failed.map((r) => [r.uniqueId.split('.')[2], r.status]),
    [['bucket_is_zero_or_one', 'warn']],
    first.stdout,
  );
  assert.equal(first.code, 0, 'a warning does not fail the build');
  assert.equal(results.size, 32);

  // Table with config, ephemeral CTE, dbt_utils surrogate key, dispatch, call blocks.
  const evens = await q<{ n: number; sk: string; dispatched: string; two: number }>(
    'select n, sk, dispatched, two from evens order by n',
  );
  assert.deepEqual(
    evens.map((row) => Number(row.n)),
    [0, 2, 4, 6, 8],
  );
  assert.equal(evens[0]!.dispatched, 'clickhouse x');
  assert.equal(Number(evens[0]!.two), 2);
  assert.match(evens[0]!.sk, /^[0-9a-f]{32}$/);
  const [engine] = await q<{ engine_full: string }>(
    "select engine_full from system.tables where database = 'features' and name = 'evens'",
  );
  assert.match(
    engine!.engine_full,
    /PARTITION BY \(bucket\) ORDER BY \(n\) SETTINGS index_granularity = 8192/,
  );

  // Seeds: inferred types, column_types, quoted commas, empty cells.
  const seedColumns = await q<{ name: string; type: string }>(
    "select name, type from system.columns where database = 'features' and table = 'people' order by position",
  );
  assert.deepEqual(
    seedColumns.map((c) => `${c.name} ${c.type}`),
    ['id Int32', 'name String', 'joined Date', 'score Nullable(Decimal(10, 2))', 'active Bool'],
  );
  const people = await q<{ name: string; score: number | null }>(
    'select name, score from people order by id',
  );
  assert.deepEqual(
    people.map((p) => p.name),
    ['Ann', 'Bo, Jr.', 'Cy'],
  );
  assert.equal(people[2]!.score, null);

  // dbt_utils macros and run_query.
  const demo = await q<Record<string, number>>('select * from macros_demo order by n');
  assert.deepEqual(Object.keys(demo[0]!), ['n', 'bucket', 'label', 'b_0', 'b_1', 'b_2', 'max_n']);
  assert.equal(Number(demo[0]!.max_n), 9);
  assert.equal((await q('select * from spine')).length, 7);
  const unioned = await q<{ _dbt_source_relation: string; n: number }>(
    'select _dbt_source_relation, count() as n from unioned group by 1 order by 1',
  );
  assert.deepEqual(
    unioned.map((row) => [row._dbt_source_relation, Number(row.n)]),
    [
      ['`features`.`evens`', 5],
      ['`features`.`inc_append`', 5],
    ],
  );

  // statement / load_result, log, modules.datetime.
  const [hooked] = await q<{ answer: number; built_year: number }>('select answer, built_year from hooked');
  assert.equal(Number(hooked!.answer), 42);
  assert.ok([yearBefore, new Date().getUTCFullYear()].includes(Number(hooked!.built_year)));
  assert.match(first.stdout, /"message":"building hooked"/);

  // Hooks: on-run-start, post-hook, on-run-end with the results.
  const log = (await q<{ event: string }>('select event from run_log')).map((row) => row.event);
  assert.ok(log.includes('start') && log.includes('post hooked'), log.join(','));
  assert.ok(log.some((event) => /^end:\d+$/.test(event)));

  // Artifacts in dbt's shape.
  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  assert.equal(manifest.metadata.adapter_type, 'clickhouse');
  assert.equal(manifest.nodes['model.features.evens'].relation_name, '`features`.`evens`');
  assert.deepEqual(manifest.parent_map['model.features.evens'], ['model.features.eph_even']);
  assert.equal(manifest.nodes['model.features.evens'].description, 'The even numbers below ten.');
  const unique = Object.values(manifest.nodes).find(
    (n) => (n as { name: string }).name === 'unique_evens_n',
  ) as Record<string, unknown>;
  assert.deepEqual((unique.test_metadata as { name: string }).name, 'unique');
  const runResults = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8'));
  assert.equal(runResults.results.length, 32);
  assert.ok(runResults.results.every((r: { timing: unknown[] }) => Array.isArray(r.timing)));
  const compiled = readFileSync(join(dir, 'target/compiled/features/models/evens.sql'), 'utf8');
  assert.match(compiled, /with __dbt__cte__eph_even as \(/);
  assert.ok(existsSync(join(dir, 'target/run/features/models/evens.sql')));

  // Second run: incremental strategies, on_schema_change, table swap.
  const second = await runCli(['build', '--json', '--vars', '{offset: 5, version: 2, extra: true}'], {
    cwd: dir,
  });
  const again = statuses(second.events);
  assert.equal(second.code, 1, 'inc_strict fails: its columns changed and on_schema_change is fail');
  assert.equal(again.get('model.features.inc_strict')!.status, 'error');
  assert.match(again.get('model.features.inc_strict')!.message, /on_schema_change is 'fail'/);
  assert.equal((await q('select * from inc_append')).length, 10);
  const deleted = await q<{ id: number; v: number }>('select id, v from inc_delete order by id');
  assert.deepEqual(
    deleted.map((row) => [Number(row.id), Number(row.v)]),
    [
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 2],
    ],
  );
  const legacy = await q<{ id: number; v: number; extra: string }>(
    'select id, v, extra from inc_legacy order by id',
  );
  assert.deepEqual(
    legacy.map((row) => [Number(row.id), Number(row.v), row.extra]),
    [
      [0, 1, ''],
      [1, 1, ''],
      [2, 1, ''],
      [3, 2, 'new'],
      [4, 2, 'new'],
      [5, 2, 'new'],
      [6, 2, 'new'],
    ],
  );
  const overwritten = await q<{ p: number; v: number }>(
    'select p, any(v) as v, count() as c from inc_overwrite group by p order by p',
  );
  assert.deepEqual(
    overwritten.map((row) => [Number(row.p), Number(row.v)]),
    [
      [0, 1],
      [1, 2],
    ],
  );
  assert.equal((await q('select * from evens')).length, 5);
  const leftovers = await q(
    "select name from system.tables where database = 'features' and name like '%__dbt_%'",
  );
  assert.deepEqual(leftovers, [], 'no helper tables are left behind');

  // --full-refresh rebuilds an incremental model.
  const refresh = await runCli(['run', '--full-refresh', '--select', 'inc_append'], { cwd: dir });
  assert.equal(refresh.code, 0, refresh.stdout);
  assert.equal((await q('select * from inc_append')).length, 5);

  // Selection and ls.
  const listed = await runCli(['ls', '--select', 'tag:incremental', '--output', 'name'], { cwd: dir });
  assert.deepEqual(listed.stdout.trim().split('\n').sort(), [
    'inc_append',
    'inc_delete',
    'inc_legacy',
    'inc_overwrite',
    'inc_strict',
    'unique_inc_delete_id',
  ]);
  const upstream = await runCli(['ls', '--select', '+evens', '--resource-type', 'model'], { cwd: dir });
  assert.deepEqual(upstream.stdout.trim().split('\n').sort(), [
    'features.eph_even',
    'features.evens',
    'features.staging.stg_numbers',
  ]);
  const sources = await runCli(
    [
      'ls',
      '--select',
      'config.materialized:incremental,tag:incremental',
      '--exclude',
      'inc_strict',
      '--output',
      'name',
      '--resource-type',
      'model',
    ],
    { cwd: dir },
  );
  assert.equal(sources.stdout.trim().split('\n').length, 4);

  // Source freshness: warn and error thresholds, sources.json.
  const freshness = await runCli(['source', 'freshness'], { cwd: dir });
  assert.equal(freshness.code, 1, freshness.stdout);
  assert.match(freshness.stdout, /WARN freshness of seeded\.people /);
  assert.match(freshness.stdout, /ERROR freshness of seeded\.people_strict /);
  const sourcesJson = JSON.parse(readFileSync(join(dir, 'target/sources.json'), 'utf8'));
  assert.deepEqual(
    sourcesJson.results.map((r: { unique_id: string; status: string; max_loaded_at: string }) => [
      r.unique_id,
      r.status,
      r.max_loaded_at,
    ]),
    [
      ['source.features.seeded.people', 'warn', '2023-03-15T00:00:00.000Z'],
      ['source.features.seeded.people_strict', 'error', '2023-03-15T00:00:00.000Z'],
    ],
  );
});
