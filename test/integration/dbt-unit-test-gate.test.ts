import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

// dbt only runs unit tests in `build` and `test`: every other command (run, seed, compile, ls,
// docs) ignores them, and `--exclude-resource-type unit_test` leaves them out of build/test. dema
// runs them there (dbt-unit-tests.test.ts covers their semantics); what it cannot run refuses the
// command at its file:line instead of passing in silence.
test('unit tests run only in the commands that run them, and only while selected', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('gate', join(dir, 'warehouse')),
    'models/totals.sql': 'select 1 as id, 2 as total\n',
    'models/other.sql': 'select 3 as id\n',
    'models/schema.yml': [
      'models:',
      '  - name: totals',
      '    columns:',
      '      - name: id',
      '        data_tests: [not_null]',
      'unit_tests:',
      '  - name: totals_add_up',
      '    model: totals',
      '    given: []',
      '    expect:',
      '      rows: [{id: 1, total: 2}]',
      '',
    ].join('\n'),
  });
  const cli = (...args: string[]) => runCli([...args, '--json'], { cwd: dir });
  const ran = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    const unit = result.events.find(
      (e) => e.type === 'dbt.node.done' && e.uniqueId === 'unit_test.gate.totals.totals_add_up',
    );
    return { ...result, unit };
  };

  for (const command of ['run', 'compile', 'parse', 'ls', 'seed'])
    assert.equal((await ran(command)).unit, undefined);
  for (const args of [
    ['build'],
    ['test'],
    ['build', '--select', 'totals'],
    ['test', '--select', 'test_type:unit'],
  ])
    assert.equal((await ran(...args)).unit?.status, 'pass', args.join(' '));
  // Left out by the user, or not selected: the rest runs as in dbt.
  const built = await ran('build', '--exclude-resource-type', 'unit_test');
  assert.match(built.stdout, /not_null_totals_id/);
  assert.equal(built.unit, undefined);
  for (const args of [
    ['test', '--exclude-resource-type', 'unit_test'],
    ['build', '--exclude', 'resource_type:unit_test'],
    ['build', '--exclude', 'test_type:unit'],
    ['build', '--select', 'other'],
    ['build', '--exclude', 'totals'],
  ])
    assert.equal((await ran(...args)).unit, undefined, args.join(' '));
});
