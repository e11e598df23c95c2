import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

const REPO_CONFIG = fileURLToPath(new URL('../../dema.yml', import.meta.url));

test('the README quick start: pipeline --sample generates, ingests, and a second run skips', async (t) => {
  const dir = tempDir(t);
  // The repository's own dema.yml, with the warehouse inside the temp dir.
  writeFileSync(join(dir, 'dema.yml'), readFileSync(REPO_CONFIG, 'utf8'));
  const first = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.ok(existsSync(join(dir, 'data/sample/orders.csv')));
  assert.match(first.stdout, /loaded orders \(default\): 20,000 read = 20,000 loaded \+ 0 rejected/);
  const second = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.match(/^skip /gm)?.length, 2);
  const query = await runCli(['query', 'SELECT count() AS n FROM orders FINAL', '--format', 'csv'], {
    cwd: dir,
  });
  assert.equal(query.stdout, '"n"\n20000\n');
  const bad = await runCli(['ingest', 'nope'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /INGEST_SOURCE_UNKNOWN[\s\S]*hint: Sources declared in .*dema\.yml: inventory, orders/,
  );
});
