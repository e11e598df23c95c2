import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt: .sql files under analysis-paths are analysis nodes. `compile` renders them (refs resolved)
// to target/compiled/<project>/analyses/…; run/build never execute them; ls and the manifest list them.
test('analyses compile with their refs, are listed and in the manifest, and never run', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('an', join(dir, 'warehouse')),
    'models/base.sql': 'select 1 as id\n',
    'analyses/adhoc/count_base.sql': "-- {{ var('label', 'x') }}\nselect count(*) from {{ ref('base') }}\n",
  });
  const compile = await runCli(['compile'], { cwd: dir });
  assert.equal(compile.code, 0, compile.stdout + compile.stderr);
  const compiled = join(dir, 'target/compiled/an/analyses/adhoc/count_base.sql');
  assert.ok(existsSync(compiled), compile.stdout);
  assert.equal(readFileSync(compiled, 'utf8').trim(), '-- x\nselect count(*) from `an`.`base`');
  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  const node = manifest.nodes['analysis.an.count_base'];
  assert.equal(node?.resource_type, 'analysis');
  assert.deepEqual(node.fqn, ['an', 'analysis', 'adhoc', 'count_base']);
  assert.deepEqual(node.depends_on.nodes, ['model.an.base']);
  const ls = await runCli(['ls'], { cwd: dir });
  assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['an.analysis.adhoc.count_base', 'an.base']);
  const build = await runCli(['build', '--json'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout);
  const ran = build.events.filter((e) => e.type === 'dbt.node.done').map((e) => e.uniqueId);
  assert.deepEqual(ran, ['model.an.base']);
});
