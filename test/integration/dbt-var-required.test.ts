import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt: var() of a name no vars block or --vars defines, without a default, is None while parsing
// and a compilation error when the node runs — never the text "None" in the SQL.
test('a var without a value or default parses, then fails its node naming the var and the file', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('vr', join(dir, 'warehouse'), 'vars:\n  given: 7\n'),
    'models/needs_var.sql': 'select \'{{ var("start_date") }}\' as d\n',
    'models/has_default.sql':
      'select \'{{ var("start_date", "2024-01-01") }}\' as d, {{ var(\'given\') }} as g\n',
  });
  const parse = await runCli(['parse'], { cwd: dir });
  assert.equal(parse.code, 0, parse.stderr);
  const run = await runCli(['run', '--json'], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  const done = new Map(
    run.events
      .filter((e) => e.type === 'dbt.node.done')
      .map((e) => [String(e.uniqueId).replace('model.vr.', ''), e] as const),
  );
  assert.equal(done.get('has_default')?.status, 'success', run.stdout);
  assert.equal(done.get('needs_var')?.status, 'error', run.stdout);
  assert.match(
    String(done.get('needs_var')?.message),
    /needs_var\.sql.*start_date|start_date.*needs_var\.sql/s,
  );
  const given = await runCli(['run', '--select', 'needs_var', '--vars', '{start_date: 2024-02-01}'], {
    cwd: dir,
  });
  assert.equal(given.code, 0, given.stdout + given.stderr);
});
