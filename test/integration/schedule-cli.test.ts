import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventsCsv, writeSmallProject } from '../fixtures/small-elt-project.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, testTarget } from '../helpers/fixtures.ts';

type Row = Record<string, unknown>;

test('dema schedule: runs every 2 s never overlap, a broken source fails one run, the next succeeds, SIGINT waits for the run', async (t) => {
  const dir = tempDir(t);
  writeSmallProject(dir, testTarget('embedded', dir), { cron: '*/2 * * * * *' });
  const csv = join(dir, 'events.csv');
  const done: Row[] = [];
  let runs = 0;
  let interruptedAt = 0;
  // Run intervals and skipped ticks as the scheduler reported them (this process's clock).
  const intervals: { start: number; end: number }[] = [];
  const skipped: number[] = [];
  const scheduler = await runCli(['--json', 'schedule'], {
    cwd: dir,
    onEvent(event, child) {
      if (event.type === 'schedule.skipped') skipped.push(Number(event.scheduledFor));
      if (event.type === 'schedule.run') {
        intervals.push({ start: Date.now(), end: Number.POSITIVE_INFINITY });
        runs++;
        // Stop while the third run is in progress: the scheduler must let it finish.
        if (runs === 3) {
          interruptedAt = Date.now();
          child.kill('SIGINT');
        }
      }
      if (event.type !== 'schedule.done') return;
      intervals.at(-1)!.end = Date.now();
      done.push(event);
      // After the first run the export turns bad (a renamed column); after the failure it is fixed.
      if (done.length === 1) writeFileSync(csv, 'id,when,amount\n9,2026-01-01T00:00:00Z,1\n');
      if (done.length === 2) writeFileSync(csv, `${eventsCsv()}4,2026-01-01T00:00:00Z,2\n`);
    },
  });
  const exitedAt = Date.now();
  assert.equal(scheduler.code, 0, scheduler.stderr);
  assert.deepEqual(
    done.map((event) => event.code),
    [0, 1, 0],
  );
  assert.ok(interruptedAt > 0);

  const history = (await runCli(['--json', 'runs', '--limit', '100'], { cwd: dir })).stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Row)
    .reverse();
  const real = history.filter((run) => run.status !== 'skipped');
  assert.deepEqual(
    real.map((run) => [run.command, run.trigger, run.status]),
    [
      ['pipeline', 'schedule', 'success'],
      ['pipeline', 'schedule', 'error'],
      ['pipeline', 'schedule', 'success'],
    ],
  );
  assert.match(String(real[1]!.error), /ingest events: \[INGEST_HEADER\]/);
  // Never overlapping: each run starts after the previous one finished.
  for (let i = 1; i < real.length; i++)
    assert.ok(
      Number(real[i]!.started_ms) >= Number(real[i - 1]!.finished_ms),
      `run ${i} started before run ${i - 1} finished`,
    );
  // SIGINT came while the third run was starting; it still ran to the end (not interrupted).
  assert.ok(Number(real[2]!.finished_ms) > interruptedAt);
  assert.ok(Number(real[2]!.finished_ms) <= exitedAt, 'the scheduler exited before its run finished');
  // Every skipped tick fell while a run was in progress, and each is in the history.
  for (const at of skipped)
    assert.ok(
      intervals.some((run) => at >= run.start - 500 && at <= run.end + 500),
      `tick at ${new Date(at).toISOString()} skipped with no run in progress`,
    );
  assert.deepEqual(
    history.filter((run) => run.status === 'skipped').map((run) => Number(run.started_ms)),
    skipped,
  );
});

test('dema schedule without a schedule in dema.yml is a configuration error naming the file', async (t) => {
  const dir = tempDir(t);
  writeSmallProject(dir, testTarget('embedded', dir));
  const result = await runCli(['schedule'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /CONFIG_INVALID\] .*dema\.yml: no `schedule` to run[\s\S]*hint: Add e\.g\. `schedule: /,
  );
});
