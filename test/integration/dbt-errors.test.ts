import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { failingProject } from '../fixtures/features-project.ts';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

/** A minimal project around the given files. */
function project(dir: string, files: Record<string, string>): void {
  writeFiles(dir, {
    ...chdbProject('broken', join(dir, 'warehouse')),
    ...files,
  });
}

test('a failing test fails the build, skips what depends on it, keeps the failing rows, and exits 1', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, failingProject(store));
  const build = await runCli(['build', '--json'], { cwd: dir });
  assert.equal(build.code, 1);
  const done = new Map(
    build.events.filter((e) => e.type === 'dbt.node.done').map((e) => [String(e.uniqueId).split('.')[2], e]),
  );
  assert.equal(done.get('parent')?.status, 'success');
  assert.equal(done.get('unique_parent_id')?.status, 'fail');
  assert.equal(done.get('unique_parent_id')?.message, 'Got 1 result, configured to fail if != 0');
  assert.equal(done.get('child')?.status, 'skipped');
  assert.match(String(done.get('child')?.message), /Skipping due to fail of unique_parent_id/);
  assert.equal(done.get('grandchild')?.status, 'skipped');
  const stored = await queryStore<{ unique_field: number; dbt_invocation_id: string }>(
    store,
    'failing',
    'select unique_field, dbt_invocation_id from failing_dbt_test__audit.unique_parent_id',
  );
  assert.deepEqual(
    stored.map((row) => Number(row.unique_field)),
    [1],
  );
  assert.match(stored[0]!.dbt_invocation_id, /^[0-9a-f-]{36}$/);

  // `run` does not run tests: all three models build and the exit code is 0.
  const run = await runCli(['run'], { cwd: dir });
  assert.equal(run.code, 0, run.stdout);
  assert.match(run.stdout, /Done\. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3/);

  // --fail-fast: the first failure cancels what is left.
  const fast = await runCli(['test', '--fail-fast', '--json'], { cwd: dir });
  assert.equal(fast.code, 1);
});

test('a broken ref names the file, the line and a likely fix, and exits 2', async (t) => {
  const dir = tempDir(t);
  project(dir, {
    'models/customers.sql': 'select 1 as id\n',
    'models/orders.sql': "select 1 as id\n-- join\nselect * from {{ ref('customer') }}\n",
  });
  const result = await runCli(['build'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /REF_NOT_FOUND.*models\/orders\.sql:3: model "orders" depends on ref\('customer'\)/,
  );
  assert.match(result.stderr, /hint: Did you mean 'customers'\?/);
});

test('a Jinja syntax error names the file and line, and exits 2', async (t) => {
  const dir = tempDir(t);
  project(dir, { 'models/bad.sql': 'select 1\n{% if %}\n{% endif %}\n' });
  const result = await runCli(['compile'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /JINJA_SYNTAX\] models\/bad\.sql:2:/);
});

test('an unsupported Jinja tag is named, never rendered into wrong SQL', async (t) => {
  const dir = tempDir(t);
  project(dir, { 'models/odd.sql': 'select 1\n{% lineage %}x{% endlineage %}\n' });
  const result = await runCli(['compile'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /JINJA_UNSUPPORTED\] models\/odd\.sql:2: .*lineage/);
});

test('a cycle is named and exits 2', async (t) => {
  const dir = tempDir(t);
  project(dir, {
    'models/a.sql': "select * from {{ ref('b') }}\n",
    'models/b.sql': "select * from {{ ref('c') }}\n",
    'models/c.sql': "select * from {{ ref('a') }}\n",
  });
  const result = await runCli(['run'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /GRAPH_CYCLE\] Found a cycle: a → b → c → a/);
});

test('an unknown column fails that model with its file and ClickHouse error, and exits 1', async (t) => {
  const dir = tempDir(t);
  project(dir, {
    'models/good.sql': 'select number as n from numbers(3)\n',
    'models/bad_column.sql': "select nope from {{ ref('good') }}\n",
  });
  const result = await runCli(['run'], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /ERROR sql view model broken\.bad_column/);
  assert.match(result.stdout, /UNKNOWN_IDENTIFIER.*nope.*\(models\/bad_column\.sql\)/);
  assert.match(result.stdout, /Done\. PASS=1 WARN=0 ERROR=1 SKIP=0 TOTAL=2/);
});

test('a package not installed (other than the built-in dbt_utils) and unknown tests are clear errors', async (t) => {
  const dir = tempDir(t);
  project(dir, {
    'models/m.sql': 'select 1 as id\n',
    'packages.yml':
      'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.1.1\n  - package: calogica/dbt_expectations\n    version: 0.10.0\n',
  });
  const result = await runCli(['ls'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /DEPS_NOT_INSTALLED.*packages\.yml:4: package "dbt_expectations" is not installed in dbt_packages\//,
  );
  assert.match(result.stderr, /dema deps/);

  const other = tempDir(t);
  project(other, {
    'models/m.sql': 'select 1 as id\n',
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [uniqeu]\n',
  });
  const unknown = await runCli(['ls'], { cwd: other });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /models\/schema\.yml:3: unknown test "uniqeu" on m/);
});
