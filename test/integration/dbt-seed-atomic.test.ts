import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RelationCache } from '../../src/dbt/compile/relation-cache.ts';
import type { DbtNode } from '../../src/dbt/manifest/types.ts';
import { loadSeed } from '../../src/dbt/materialize/seed.ts';
import { quoteString } from '../../src/warehouse/sql.ts';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { failingAt, publishes } from '../helpers/faulty-warehouse.ts';
import { openTestWarehouse, tempDir, testTarget, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// A seed is published as a model is (src/dbt/materialize/publish.ts): its rows go into a helper that
// replaces the live table in one statement. A reload that fails — here a value its declared column
// type refuses — must leave the live table exactly as the last good load left it, not truncated.
test('a seed reload that fails leaves the live table as it was, and no helper behind', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  const project = (csv: string) =>
    writeFiles(dir, {
      ...chdbProject('sa', store, 'seeds:\n  sa:\n    +column_types: {v: Int32}\n'),
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

// The publish invariant for seeds, at every write: a failure before or at the publishing statement
// leaves the live seed absent (first load) or exactly as it was; one after it (a helper's drop)
// leaves the complete new seed. No helper remains except one whose own drop was the failing write.
test('a seed load failing at each of its writes in turn leaves the live seed absent, unchanged or complete', async (t) => {
  const dir = tempDir(t);
  const warehouse = await openTestWarehouse(t, testTarget('embedded', dir));
  const schema = warehouse.database;
  const dump = async () =>
    (
      await warehouse.query<{ n: string }>(
        `select name as n from system.tables where database = ${quoteString(schema)} and name = 'seed_s'`,
      )
    ).rows.length === 0
      ? 'absent'
      : await warehouse.queryText(`select k, v from ${schema}.seed_s order by k`, 'TabSeparated');
  const helpers = async () =>
    (
      await warehouse.query<{ n: string }>(
        `select name as n from system.tables where database = ${quoteString(schema)} and name like 'seed_s\\_\\_dbt\\_%'`,
      )
    ).rows.map((r) => r.n);
  const load = async (csv: string, failAt = 0) => {
    writeFileSync(join(dir, 's.csv'), csv);
    const seen: string[] = [];
    const wrapped = failingAt(warehouse, failAt, seen);
    const cache = new RelationCache(wrapped);
    await cache.load([schema]);
    const node = {
      uniqueId: 'seed.p.seed_s',
      name: 'seed_s',
      resourceType: 'seed',
      schema,
      alias: 'seed_s',
      seedFile: 's.csv',
      config: {},
    } as unknown as DbtNode;
    const env = {
      warehouse: wrapped,
      cache,
      invocationId: '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      fullRefresh: false,
    };
    const error = await loadSeed(node, dir, env).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    return { seen, error };
  };
  const FIRST = 'k,v\na,1\nb,2\n';
  const LATER = 'k,v\na,10\nc,30\nd,40\n';
  let points = 0;
  for (const phase of ['first', 'later'] as const) {
    const reset = async () => {
      await warehouse.command(`drop table if exists ${schema}.seed_s`);
      if (phase === 'later') assert.equal((await load(FIRST)).error, undefined);
    };
    await reset();
    const before = await dump();
    const clean = await load(phase === 'first' ? FIRST : LATER);
    assert.equal(clean.error, undefined);
    const complete = await dump();
    for (let failAt = 1; failAt <= clean.seen.length; failAt++) {
      await reset();
      const { seen, error } = await load(phase === 'first' ? FIRST : LATER, failAt);
      const failing = seen[failAt - 1]!;
      const published = seen.slice(0, failAt - 1).some((sql) => publishes(sql, 'seed_s'));
      // Before the publish the load must fail; a helper's drop after it is best effort.
      if (!published) assert.ok(error, `${phase}, write ${failAt} (${failing}) must fail the load`);
      assert.equal(
        await dump(),
        published ? complete : before,
        `${phase}, failing write ${failAt}: ${failing.split('\n')[0]}`,
      );
      const left = await helpers();
      const ownDrop = /^drop table/.test(failing) ? 1 : 0;
      assert.ok(left.length <= ownDrop, `${phase}, write ${failAt}: helpers left ${left.join(', ')}`);
      for (const name of left) await warehouse.command(`drop table if exists ${schema}.\`${name}\``);
      points++;
    }
  }
  assert.ok(points >= 8, `${points} fault points`);
});
