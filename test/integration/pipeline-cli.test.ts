import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

const REPO_CONFIG = fileURLToPath(new URL('../../dema.yml', import.meta.url));
const REPO_PROJECT = fileURLToPath(new URL('../../project', import.meta.url));

test('the README quick start: pipeline --sample generates, ingests, builds, and a second run skips', async (t) => {
  const dir = tempDir(t);
  // The repository's own dema.yml and dbt project, with the warehouse inside the temp dir.
  writeFileSync(join(dir, 'dema.yml'), readFileSync(REPO_CONFIG, 'utf8'));
  cpSync(REPO_PROJECT, join(dir, 'project'), {
    recursive: true,
    filter: (source) => !source.includes('/target'),
  });
  const first = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.ok(existsSync(join(dir, 'data/sample/orders.csv')));
  assert.match(first.stdout, /loaded orders \(default\): 20,000 rows, 0 rejected/);
  assert.match(first.stdout, /OK +sql incremental model dema\.mart_finance__orders_per_month/);
  assert.match(first.stdout, /dema pipeline: done/);
  const second = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.match(/^skip /gm)?.length, 2);
  const marts = await runCli(
    ['query', 'SELECT sum(order_lines) AS n FROM mart_finance__orders_per_month', '--format', 'csv'],
    { cwd: dir },
  );
  assert.equal(marts.stdout, '"n"\n20000\n');
  const query = await runCli(['query', 'SELECT count() AS n FROM orders FINAL', '--format', 'csv'], {
    cwd: dir,
  });
  assert.equal(query.stdout, '"n"\n20000\n');
  const bad = await runCli(['ingest', 'nope'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /INGEST_SOURCE_UNKNOWN[\s\S]*hint: Sources declared in .*dema\.yml: inventory, orders/,
  );
});
