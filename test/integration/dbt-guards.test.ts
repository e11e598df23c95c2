import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { SERVER_PORT, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * Guards of dbt's run semantics that once regressed without a test noticing: skips reach
 * grandchildren, --exclude drops the excluded node's tests, a package-scoped var beats a global
 * one, relationships fails on an orphan, and --fail-fast leaves the rest unrun.
 */

type Done = { uniqueId: string; status: string; message: string };
const done = (events: Record<string, unknown>[]) =>
  new Map(
    (events.filter((e) => e.type === 'dbt.node.done') as unknown as Done[]).map((e) => [
      e.uniqueId.split('.').slice(2).join('.'),
      e,
    ]),
  );

function guardsProject(dir: string, profile: string): void {
  writeFiles(dir, {
    'dbt_project.yml': `
name: guards
profile: guards
vars:
  who: global
  guards:
    who: scoped
models:
  guards:
    +materialized: table
`,
    'profiles.yml': profile,
    'seeds/parents.csv': 'id\n1\n2\n',
    'models/broken.sql': 'select no_such_column from system.one\n',
    'models/child.sql': "select * from {{ ref('broken') }}\n",
    'models/grandchild.sql': "select * from {{ ref('child') }}\n",
    'models/who.sql': 'select \'{{ var("who") }}\' as who\n',
    'models/kids.sql':
      'select toInt64(number + 1) as id, toInt32(number % 3 + 1) as parent_id from numbers(3)\n',
    'models/zzz_last.sql': 'select 1 as id\n',
    'models/schema.yml': `
version: 2
models:
  - name: kids
    columns:
      - name: id
        data_tests: [unique]
      - name: parent_id
        data_tests:
          - relationships: {to: "ref('parents')", field: id}
  - name: who
    columns:
      - name: who
        data_tests: [not_null]
`,
  });
}

const chdbProfile = (dir: string) =>
  `guards:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: guards, threads: 1}\n`;

test('run skips the grandchild of a failed model; a scoped var beats a global one', async (t) => {
  const dir = tempDir(t);
  guardsProject(dir, chdbProfile(dir));
  const run = await runCli(['run', '--json'], { cwd: dir });
  assert.equal(run.code, 1);
  const results = done(run.events);
  assert.equal(results.get('broken')?.status, 'error');
  assert.equal(results.get('child')?.status, 'skipped');
  assert.equal(results.get('grandchild')?.status, 'skipped', 'a skip reaches the grandchild');
  assert.match(String(results.get('grandchild')?.message), /Skipping due to skipped of child/);
  const [row] = await queryStore<{ who: string }>(join(dir, 'warehouse'), 'guards', 'select who from who');
  assert.equal(row?.who, 'scoped', 'vars.<package>.who beats the global vars.who');
});

test('--exclude drops the tests of the excluded node; relationships fails on an orphan', async (t) => {
  const dir = tempDir(t);
  guardsProject(dir, chdbProfile(dir));
  const build = await runCli(['build', '--exclude', 'broken', 'child', 'grandchild', '--json'], { cwd: dir });
  const results = done(build.events);
  // parent_id 3 has no row in parents (ids 1, 2): an orphan.
  const relationships = [...results].find(([id]) => id.startsWith('relationships_kids'));
  assert.equal(relationships?.[1].status, 'fail', 'the orphan parent_id 3 fails relationships');
  assert.equal(build.code, 1);

  const tests = await runCli(['test', '--exclude', 'kids', '--json'], { cwd: dir });
  const ran = [...done(tests.events).keys()];
  assert.deepEqual(
    ran.filter((id) => /kids/.test(id)),
    [],
    'tests of an excluded model do not run',
  );
  assert.ok(
    ran.some((id) => id.startsWith('not_null_who')),
    ran.join(', '),
  );
});

test('--fail-fast stops the nodes still to run after the first error', async (t) => {
  const dir = tempDir(t);
  guardsProject(dir, chdbProfile(dir));
  const run = await runCli(['run', '--fail-fast', '--threads', '1', '--json'], { cwd: dir });
  assert.equal(run.code, 1);
  const results = done(run.events);
  assert.equal(results.get('broken')?.status, 'error');
  // With one thread, nodes run in DAG order (by name among ready ones): broken is first.
  for (const name of ['kids', 'who', 'zzz_last']) {
    assert.equal(results.get(name)?.status, 'skipped', `${name} must not run after --fail-fast`);
    assert.match(String(results.get(name)?.message), /fail_fast/);
  }
  const tables = await queryStore<{ name: string }>(
    join(dir, 'warehouse'),
    'guards',
    // dema's own bookkeeping (run history) is not a model.
    "select name from system.tables where database = 'guards' and substring(name, 1, 6) != '_dema_'",
  );
  assert.deepEqual(
    tables.map((table) => table.name),
    [],
  );
});

test('relationships fails on an orphan on the ClickHouse server', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const dir = tempDir(t);
  const schema = `dbt_guard_${randomBytes(4).toString('hex')}`;
  guardsProject(
    dir,
    `guards:\n  target: s\n  outputs:\n    s: {type: clickhouse, host: 127.0.0.1, port: ${SERVER_PORT}, user: dema, password: d3m4, schema: ${schema}}\n`,
  );
  const drop = (db: string) =>
    fetch(`http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4`, {
      method: 'POST',
      body: `DROP DATABASE IF EXISTS ${db}`,
    });
  t.after(async () => {
    await drop(schema);
    await drop(`${schema}_dbt_test__audit`);
  });
  const build = await runCli(['build', '--select', 'parents', 'kids', '--json'], { cwd: dir });
  const relationships = [...done(build.events)].find(([id]) => id.startsWith('relationships_kids'));
  assert.equal(relationships?.[1].status, 'fail', build.stdout);
});
