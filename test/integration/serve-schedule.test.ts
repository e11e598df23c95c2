import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { writeMultiMerchantProject } from '../helpers/multi-merchant.ts';
import { startServe } from '../helpers/serve.ts';

interface RunRow {
  command: string;
  trigger: string;
  status: string;
  started_ms: number;
  finished_ms: number;
}

test('dema serve runs dema.yml schedule: runs never overlap, the dashboard is 503 during one and serves the marts after', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t, 'dema-serve-schedule-');
  await writeMultiMerchantProject(dir, { orderLines: 200, styles: 10 });
  appendFileSync(join(dir, 'dema.yml'), '\nschedule: { cron: "*/2 * * * * *", timezone: UTC }\n');
  const { url, stop, child } = await startServe(t, dir, ['--port', '0']);
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    log += chunk;
  });

  // Nothing was ever loaded: the missed run is caught up at once, then every 2 s a tick.
  const statuses = new Set<number>();
  let runs: RunRow[] = [];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/runs?limit=50`);
    statuses.add(response.status);
    if (response.status === 200) {
      runs = ((await response.json()) as RunRow[]).filter((r) => r.command === 'pipeline');
      if (runs.filter((r) => r.status === 'success').length >= 3) break;
    } else assert.match(await response.text(), /scheduled pipeline run is in progress/);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const done = runs.filter((r) => r.status === 'success');
  assert.ok(done.length >= 3, `three scheduled runs: ${JSON.stringify(runs)}`);
  assert.ok(
    done.every((r) => r.trigger === 'schedule'),
    'recorded by the child as scheduled',
  );
  const ordered = [...done].sort((a, b) => a.started_ms - b.started_ms);
  for (let i = 1; i < ordered.length; i++)
    assert.ok(ordered[i]!.started_ms >= ordered[i - 1]!.finished_ms, 'never overlapping');
  assert.ok(statuses.has(503), 'refused with 503 while a run held the warehouse');

  // Between runs serve has the warehouse back, read-only: the marts the runs built, no writes.
  let filters: Response | undefined;
  for (let i = 0; i < 100; i++) {
    filters = await fetch(`${url}/api/filters`);
    if (filters.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(filters?.status, 200);
  assert.equal(((await filters!.json()) as { merchants: string[] }).merchants.length, 2);
  const write = await fetch(`${url}/`, {
    method: 'POST',
    body: 'CREATE TABLE evil (x Int8) ENGINE = Memory',
  });
  assert.ok([403, 503].includes(write.status), String(write.status));

  assert.equal(await stop(), 0, 'SIGTERM: the run in progress ends, then serve');
  const listed = await runCli(['runs', '-n', '50'], { cwd: dir });
  assert.equal(listed.code, 0, 'the warehouse lock is released');
  assert.ok(listed.stdout.split('\n').filter((l) => /pipeline\s+schedule\s+success/.test(l)).length >= 3);

  // A tick that fell while a run was in progress is in the run history as skipped (as `dema schedule`).
  const ticks = [...log.matchAll(/skipped the tick at (\S+): the run started/g)].map((m) =>
    Date.parse(m[1]!),
  );
  assert.ok(ticks.length > 0, `a 2 s schedule with runs longer than 2 s skips ticks:\n${log}`);
  const history = (await runCli(['--json', 'runs', '--limit', '200'], { cwd: dir })).stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunRow);
  assert.deepEqual(
    history
      .filter((run) => run.status === 'skipped')
      .map((run) => Number(run.started_ms))
      .sort((a, b) => a - b),
    ticks.sort((a, b) => a - b),
  );
});
