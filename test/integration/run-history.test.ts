import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ensureHistoryTables, newRunRecord, writeRun } from '../../src/history/store.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import { writeSmallProject } from '../fixtures/small-elt-project.ts';
import { runCli } from '../helpers/cli.ts';
import { serverAvailable, type Transport, tempDir, testTarget } from '../helpers/fixtures.ts';

type Row = Record<string, unknown>;
const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Row);

for (const transport of ['embedded', 'server'] as Transport[]) {
  test(`run history (${transport}): every command recorded with its nodes; a dead running run reads interrupted`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const dir = tempDir(t);
    const target = testTarget(transport, dir);
    writeSmallProject(dir, target, { failingTest: true, cron: '0 3 * * *' });
    t.after(async () => {
      if (target.type !== 'clickhouse') return;
      const warehouse = await connectWarehouse(target);
      await warehouse.command(`DROP DATABASE IF EXISTS ${quoteIdent(target.schema)}`).catch(() => {});
      await warehouse.close();
    });
    assert.match((await runCli(['runs'], { cwd: dir })).stdout, /\(0 rows\)/);
    const ingest = await runCli(['ingest'], { cwd: dir });
    assert.equal(ingest.code, 0, ingest.stderr);
    const build = await runCli(['build'], { cwd: dir });
    assert.equal(build.code, 1, build.stdout);
    // `schedule --once`: one pipeline run, recorded by the child with trigger `schedule`.
    const once = await runCli(['schedule', '--once'], { cwd: dir });
    assert.equal(once.code, 1, once.stdout + once.stderr);
    // A run marked running by a process that is gone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const warehouse = await connectWarehouse(target);
    await ensureHistoryTables(warehouse);
    await writeRun(warehouse, {
      ...newRunRecord({ invocation_id: 'dead-run', command: 'build', args: 'build', trigger: 'cli' }),
      pid: dead,
      started_ms: Date.now(),
    });
    await warehouse.close();

    const runs = jsonLines((await runCli(['--json', 'runs', '--limit', '10'], { cwd: dir })).stdout);
    assert.deepEqual(
      runs.map((r) => [r.command, r.trigger, r.status]),
      [
        ['build', 'cli', 'interrupted'],
        ['pipeline', 'schedule', 'error'],
        ['build', 'cli', 'error'],
        ['ingest', 'cli', 'success'],
      ],
    );
    const [, pipeline, failedBuild, loaded] = runs as [Row, Row, Row, Row];
    assert.match(
      String(failedBuild.error),
      /test\.small\.accepted_values_event_totals_id__1__2\.\w+: Got 1 result/,
    );
    assert.ok(Number(failedBuild.finished_ms) >= Number(failedBuild.started_ms));
    assert.ok(Number(failedBuild.started_ms) >= Number(loaded.finished_ms));

    const show = async (id: unknown) =>
      jsonLines((await runCli(['--json', 'runs', 'show', String(id)], { cwd: dir })).stdout)[0]!;
    const ingestNodes = (await show(loaded.invocation_id)).nodes as Row[];
    assert.deepEqual(
      ingestNodes.map((n) => [n.unique_id, n.resource_type, n.status, n.rows_written, n.failures]),
      [['ingest.events', 'ingest', 'success', 3, 0]],
    );
    const buildNodes = new Map(
      ((await show(failedBuild.invocation_id)).nodes as Row[]).map((n) => [
        String(n.unique_id).split('.')[2],
        n,
      ]),
    );
    const failing = buildNodes.get('accepted_values_event_totals_id__1__2')!;
    assert.equal(failing.status, 'fail');
    assert.equal(failing.failures, 1);
    assert.equal(
      failing.failures_relation,
      `${target.schema}_dbt_test__audit.accepted_values_event_totals_id__1__2`,
    );
    assert.equal(buildNodes.get('not_null_event_totals_id')?.failures_relation, '');
    assert.equal(buildNodes.get('event_totals')?.status, 'success');
    // The pipeline's nodes: the ingest (skipped: same file) and the build's.
    const pipelineNodes = ((await show(pipeline.invocation_id)).nodes as Row[]).map((n) => [
      n.unique_id,
      n.status,
    ]);
    assert.deepEqual(pipelineNodes[0], ['ingest.events', 'skipped']);
    assert.equal(pipelineNodes.length, 4);
    // The failures stored where the history says.
    const stored = await runCli(
      ['query', `SELECT dbt_invocation_id, value_field FROM ${failing.failures_relation}`, '--format', 'csv'],
      { cwd: dir },
    );
    // The stored rows are those of the latest failing run: the scheduled pipeline's.
    assert.equal(stored.stdout, `"dbt_invocation_id","value_field"\n"${pipeline.invocation_id}","3"\n`);
    const table = await runCli(['runs'], { cwd: dir });
    assert.match(table.stdout, /dead-run\s+build\s+cli\s+interrupted/);
    const missing = await runCli(['runs', 'show', 'nope'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No run with invocation id "nope"/);
  });
}
