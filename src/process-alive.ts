import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists on this machine (EPERM: it exists but is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process with this pid started, in clock ticks since boot (field 22 of /proc/<pid>/stat),
 * or undefined where there is no /proc or no such process. A pid is reused once its process is
 * gone; the pair (pid, start ticks) names one process for as long as the machine is up.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** This boot of the machine (ticks restart at every boot), or undefined without /proc. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports process start times in 1/100 s on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/** The wall-clock time (ms) the process started, or undefined without /proc. */
export function processStartedAtMs(pid: number): number | undefined {
  const ticks = processStartTicks(pid);
  if (ticks === undefined) return undefined;
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (btime === undefined) return undefined;
    return (Number(btime) + Number(ticks) / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/** Who a lock or a half-written file belongs to: a pid and, where known, its start and boot. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start?: string;
  readonly boot?: string;
}

export function currentProcess(): ProcessIdentity {
  const start = processStartTicks(process.pid);
  const boot = bootId();
  return { pid: process.pid, ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
}

/**
 * Whether the process this identity names still runs. A live pid whose start time differs from
 * the recorded one is another process that reuses the number: the recorded one is gone.
 */
export function identityAlive(identity: ProcessIdentity): boolean {
  if (!processAlive(identity.pid)) return false;
  if (identity.boot !== undefined) {
    const boot = bootId();
    if (boot !== undefined && boot !== identity.boot) return false;
  }
  if (identity.start === undefined) return true;
  const start = processStartTicks(identity.pid);
  return start === undefined || start === identity.start;
}
