import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, processStartedAtMs } from '../process-alive.ts';

/**
 * Half-written archive copies (`.<pid>-<ms>-<name>.part`, see fetch-source.ts) of processes that
 * are gone: a kill during the copy leaves them, and nothing else would ever remove them. A file is
 * stale when its pid is not running, or is running but started after the file was created (the pid
 * was reused). Returns the paths removed. The archive may be shared by several warehouses' commands,
 * so a live writer's file is never touched.
 */
const PART = /^\.(\d+)-(\d+)-.*\.part$/;

function stale(name: string): boolean {
  const match = PART.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  const createdMs = Number(match[2]);
  if (pid === process.pid) return false;
  if (!processAlive(pid)) return true;
  const startedMs = processStartedAtMs(pid);
  // 1 s of slack: start times are known to 10 ms, the name's time to the ms, clocks may step.
  return startedMs !== undefined && startedMs > createdMs + 1000;
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

export function removeStaleParts(archiveDir: string): string[] {
  const removed: string[] = [];
  // <archive>/<merchant>/<source>/
  for (const merchant of subdirectories(archiveDir))
    for (const source of subdirectories(merchant))
      for (const name of readdirSync(source)) {
        if (!stale(name)) continue;
        const path = join(source, name);
        if (!statSync(path, { throwIfNoEntry: false })?.isFile()) continue;
        rmSync(path, { force: true });
        removed.push(path);
      }
  return removed;
}
