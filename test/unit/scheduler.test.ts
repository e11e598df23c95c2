import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cron } from 'croner';
import { parseConfig } from '../../src/config/dema-config.ts';
import { DemaError } from '../../src/errors.ts';
import { type Clock, missedRun, type ScheduleEvent, Scheduler } from '../../src/schedule/scheduler.ts';

/** A clock whose time moves only when the test advances it; timers fire in time order. */
class FakeClock implements Clock {
  private timers: { at: number; fire: () => void; id: number }[] = [];
  private ids = 0;
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  setTimer(ms: number, fire: () => void): () => void {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, fire, id });
    return () => {
      this.timers = this.timers.filter((timer) => timer.id !== id);
    };
  }
  /** Moves time forward to `until`, firing due timers (and letting promises settle between them). */
  async advance(until: number): Promise<void> {
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.time = next.at;
      next.fire();
    }
    this.time = until;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');

/** A scheduler on `*​/15 * * * *` whose jobs take `jobMinutes` of fake time each. */
function harness(options: { start: number; lastRun: number | null; jobMinutes: number; failEvery?: number }) {
  const clock = new FakeClock(options.start);
  const cron = new Cron('*/15 * * * *', { paused: true, timezone: 'UTC' });
  const events: ScheduleEvent[] = [];
  const jobs: { start: number; end: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const scheduler = new Scheduler({
    clock,
    nextAfter: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    previousBefore: (ms) => cron.previousRuns(1, new Date(ms))[0]?.getTime() ?? null,
    lastRunStart: async () => options.lastRun,
    runJob: () =>
      new Promise<number>((resolve, reject) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const job = { start: clock.now(), end: 0 };
        jobs.push(job);
        clock.setTimer(options.jobMinutes * MINUTE, () => {
          active--;
          job.end = clock.now();
          if (options.failEvery && jobs.length % options.failEvery === 0) reject(new Error('boom'));
          else resolve(0);
        });
      }),
    onEvent: (event) => events.push(event),
  });
  return { clock, scheduler, events, jobs, maxActive: () => maxActive };
}

test('ticks run the job on the cron times; a tick during a run is skipped, never run alongside', async () => {
  // Jobs take 20 minutes on a 15-minute schedule: every other tick finds a run in progress.
  const h = harness({ start: T0 + 1000, lastRun: T0, jobMinutes: 20 });
  await h.scheduler.start();
  await h.clock.advance(T0 + 120 * MINUTE);
  assert.equal(h.maxActive(), 1);
  for (let i = 1; i < h.jobs.length; i++) assert.ok(h.jobs[i]!.start >= h.jobs[i - 1]!.end);
  assert.deepEqual(
    h.jobs.map((job) => (job.start - T0) / MINUTE),
    [15, 45, 75, 105],
  );
  const skipped = h.events
    .filter((e) => e.type === 'schedule.skipped')
    .map((e) => (e.scheduledFor - T0) / MINUTE);
  assert.deepEqual(skipped, [30, 60, 90, 120]);
});

test('a missed run is caught up once on start, not once per missed tick', async () => {
  // Down from 10:00 to 13:07: 12 ticks passed without a run.
  const h = harness({ start: T0 + 187 * MINUTE, lastRun: T0, jobMinutes: 1 });
  await h.scheduler.start();
  await h.clock.advance(T0 + 194 * MINUTE);
  const reasons = () => h.events.flatMap((e) => (e.type === 'schedule.run' ? [e.reason] : []));
  assert.deepEqual(reasons(), ['catch-up']);
  await h.clock.advance(T0 + 196 * MINUTE);
  assert.deepEqual(reasons(), ['catch-up', 'tick']);
  assert.deepEqual(
    h.jobs.map((job) => (job.start - T0) / MINUTE),
    [187, 195],
  );
});

test('no catch-up when a run started after the latest scheduled time, nor a second one while it runs', async () => {
  const h = harness({ start: T0 + 20 * MINUTE, lastRun: T0 + 16 * MINUTE, jobMinutes: 1 });
  await h.scheduler.start();
  await h.clock.advance(T0 + 29 * MINUTE);
  assert.equal(h.jobs.length, 0);
  await h.clock.advance(T0 + 31 * MINUTE);
  assert.equal(h.jobs.length, 1);
  assert.equal(missedRun(null, null), false);
  assert.equal(missedRun(T0, null), true);
  assert.equal(missedRun(T0, T0), false);
  assert.equal(missedRun(T0, T0 - 1), true);
});

test('a catch-up still running at the first tick makes that tick skip', async () => {
  const h = harness({ start: T0 + 14 * MINUTE, lastRun: null, jobMinutes: 5 });
  await h.scheduler.start();
  await h.clock.advance(T0 + 31 * MINUTE);
  assert.deepEqual(
    h.jobs.map((job) => (job.start - T0) / MINUTE),
    [14, 30],
  );
  assert.ok(h.events.some((e) => e.type === 'schedule.skipped' && e.scheduledFor === T0 + 15 * MINUTE));
});

test('a failed job is reported and the next tick runs; stop() waits for the run in progress', async () => {
  const h = harness({ start: T0 + 1000, lastRun: T0, jobMinutes: 10, failEvery: 1 });
  await h.scheduler.start();
  await h.clock.advance(T0 + 41 * MINUTE);
  const done = h.events.filter((e) => e.type === 'schedule.done');
  assert.equal(done.length, 2);
  assert.ok(done.every((e) => e.type === 'schedule.done' && e.code === 1 && e.error === 'boom'));
  await h.clock.advance(T0 + 47 * MINUTE);
  assert.equal(h.jobs.length, 3, 'the tick after two failures still runs');
  let stopped = false;
  const stopping = h.scheduler.stop().then(() => {
    stopped = true;
  });
  await settle();
  assert.equal(stopped, false, 'stop() returned while a run was in progress');
  await h.clock.advance(T0 + 120 * MINUTE);
  await stopping;
  assert.equal(stopped, true);
  assert.equal(h.jobs.length, 3, 'no run after stop()');
});

test('dema.yml schedule: a bad cron or timezone is a CONFIG_INVALID naming file:line and key', () => {
  const base = 'targets:\n  embedded:\n    type: chdb\n';
  const ok = parseConfig(`${base}schedule:\n  cron: "*/15 * * * *"\n`, 'dema.yml');
  assert.deepEqual(ok.schedule, { cron: '*/15 * * * *', timezone: 'UTC' });
  for (const [yaml, where] of [
    ['schedule:\n  cron: "61 * * * *"\n', /dema\.yml:5: schedule\.cron: .*minute/],
    ['schedule:\n  cron: "*/5 * * * *"\n  timezone: Mars/Olympus\n', /dema\.yml:6: schedule\.timezone: /],
    ['schedule:\n  cron: "*/5 * * * *"\n  every: 5\n', /dema\.yml:6: schedule\.every: Unrecognized key: "every"/],
  ] as const) {
    assert.throws(
      () => parseConfig(base + yaml, 'dema.yml'),
      (error: unknown) =>
        error instanceof DemaError && error.code === 'CONFIG_INVALID' && where.test(error.message),
      yaml,
    );
  }
});
