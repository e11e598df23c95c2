import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ensureHistoryTables, type RunRecord, writeRun } from '../history/store.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

/**
 * Runs `dema pipeline` in a child process, recorded by the child with trigger `schedule`. A child
 * per run isolates the scheduler from a crash or a leak in one run; it gets its own process group so
 * a Ctrl-C in the terminal reaches only the scheduler, which then waits for the run to finish.
 */
export function runDemaChild(args: readonly string[], onSpawn?: (pid: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      env: { ...process.env, DEMA_TRIGGER: 'schedule' },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    child.on('error', reject);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Ticks skipped because a run was in progress, as history rows (written between runs). */
export async function recordSkippedTicks(
  warehouse: Warehouse,
  ticks: readonly { scheduledFor: number; runningSince: number }[],
): Promise<void> {
  if (ticks.length === 0) return;
  await ensureHistoryTables(warehouse);
  for (const tick of ticks) {
    const record: RunRecord = {
      invocation_id: randomUUID(),
      command: 'pipeline',
      args: 'schedule',
      trigger: 'schedule',
      status: 'skipped',
      error: `tick at ${new Date(tick.scheduledFor).toISOString()} skipped: the run started at ${new Date(tick.runningSince).toISOString()} was still in progress`,
      started_ms: tick.scheduledFor,
      finished_ms: tick.scheduledFor,
      host: hostname(),
      pid: process.pid,
    };
    await writeRun(warehouse, record);
  }
}
