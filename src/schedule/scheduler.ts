/**
 * The scheduler's decisions, with the clock, the timer and the job injected (unit-tested on a fake
 * clock). Invariants:
 * - runs never overlap: a tick while a run is in progress starts nothing and is reported skipped;
 * - a missed run is caught up once: on start, if the latest scheduled time before now has no run
 *   starting at or after it, one run starts now (not one per missed tick);
 * - stop() arms no more ticks and resolves once the run in progress (if any) has finished.
 */

export interface Clock {
  now(): number;
  setTimer(ms: number, fire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fire) {
    const handle = setTimeout(fire, ms);
    return () => clearTimeout(handle);
  },
};

export type RunReason = 'tick' | 'catch-up';

export type ScheduleEvent =
  | { type: 'schedule.next'; at: number }
  | { type: 'schedule.run'; reason: RunReason; scheduledFor: number }
  | { type: 'schedule.skipped'; scheduledFor: number; runningSince: number }
  | { type: 'schedule.done'; reason: RunReason; scheduledFor: number; code: number; error?: string };

export interface SchedulerDeps {
  readonly clock: Clock;
  /** Next scheduled time strictly after `ms`, or null when the expression has no more. */
  nextAfter(ms: number): number | null;
  /** Latest scheduled time before `ms`, or null. */
  previousBefore(ms: number): number | null;
  /** Start of the newest run in the history (any outcome), or null when there is none. */
  lastRunStart(): Promise<number | null>;
  /** Runs the job once; resolves to its exit code (rejections count as failures). */
  runJob(reason: RunReason, scheduledFor: number): Promise<number>;
  onEvent(event: ScheduleEvent): void;
}

/** The longest a timer may wait in one go (setTimeout overflows past 2^31-1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A run is missed when the latest scheduled time has passed and no run started since. */
export function missedRun(previousScheduled: number | null, lastRunStart: number | null): boolean {
  if (previousScheduled === null) return false;
  return lastRunStart === null || lastRunStart < previousScheduled;
}

export class Scheduler {
  private running: { since: number; done: Promise<void> } | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Catches up a missed run (once), then arms the timer for the next scheduled time. */
  async start(): Promise<void> {
    const now = this.deps.clock.now();
    if (missedRun(this.deps.previousBefore(now), await this.deps.lastRunStart()))
      this.launch('catch-up', now);
    this.arm(now);
  }

  /** One tick at the scheduled time `scheduledFor`. */
  tick(scheduledFor: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.deps.onEvent({ type: 'schedule.skipped', scheduledFor, runningSince: this.running.since });
      return;
    }
    this.launch('tick', scheduledFor);
  }

  get busy(): boolean {
    return this.running !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.running?.done;
  }

  private launch(reason: RunReason, scheduledFor: number): void {
    this.deps.onEvent({ type: 'schedule.run', reason, scheduledFor });
    const since = this.deps.clock.now();
    const done = this.deps
      .runJob(reason, scheduledFor)
      .then(
        (code) => this.deps.onEvent({ type: 'schedule.done', reason, scheduledFor, code }),
        (error: unknown) =>
          this.deps.onEvent({
            type: 'schedule.done',
            reason,
            scheduledFor,
            code: 1,
            error: error instanceof Error ? error.message : String(error),
          }),
      )
      .finally(() => {
        this.running = null;
      });
    this.running = { since, done };
  }

  private arm(after: number): void {
    if (this.stopped) return;
    const at = this.deps.nextAfter(after);
    if (at === null) return;
    this.deps.onEvent({ type: 'schedule.next', at });
    const wait = () => {
      const now = this.deps.clock.now();
      if (now < at) {
        this.cancelTimer = this.deps.clock.setTimer(Math.min(at - now, MAX_TIMER_MS), wait);
        return;
      }
      this.cancelTimer = null;
      this.tick(at);
      // A late wake-up (suspended machine) does not replay every tick it slept through.
      this.arm(Math.max(at, this.deps.clock.now()));
    };
    wait();
  }
}
