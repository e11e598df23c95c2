import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DemaError } from '../../errors.ts';
import { makeDirectories } from '../../fs-error.ts';
import { currentProcess, identityAlive, type ProcessIdentity } from '../../process-alive.ts';

/**
 * The embedded warehouse's lock: one process per data directory, for the whole command.
 *
 * Invariant: `dema.lock` exists while, and only while, a live process owns the store. The file is
 * created whole (written under a private name, then hard-linked to `dema.lock`, which fails if it
 * exists), so no reader ever sees a half-written owner. The owner is recorded as pid + process start
 * time + boot id: a pid reused by an unrelated process after a crash does not look like the owner,
 * so a stale lock is broken instead of blocking every command. chDB's own file lock on the directory
 * stays the last word (two processes can never open one store); this lock comes first so a refusal
 * names the owner, can wait, and says how to clear it.
 */

export interface LockOwner extends ProcessIdentity {
  readonly command: string;
  readonly since: string;
}

const LOCK_FILE = 'dema.lock';
const POLL_MS = 200;

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export function lockedError(directory: string, owner: LockOwner | undefined, waitedMs = 0): DemaError {
  const who = owner
    ? `process ${owner.pid} (${owner.command}), running since ${owner.since}`
    : 'another process';
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
  return new DemaError(
    'WAREHOUSE_LOCKED',
    `The embedded warehouse at ${directory} is in use by ${who}${waited}.`,
    {
      // `dema serve` holds the warehouse until stopped: point at its HTTP interface rather than waiting.
      hint: owner?.command.startsWith('dema serve')
        ? `dema serve owns the warehouse while it runs: query it through its read-only HTTP interface (curl 'http://HOST:PORT/?query=…' or any ClickHouse client), or stop it (Ctrl-C, or kill ${owner.pid}) and retry.`
        : `One command at a time per warehouse: wait for it with --wait [SECONDS], or stop it. If no dema command is running${owner ? ` as process ${owner.pid}` : ''}, delete ${join(directory, LOCK_FILE)}.`,
    },
  );
}

/** Tries once: true when this process now owns the lock. Breaks a lock whose owner is gone. */
function tryTake(path: string, me: LockOwner): boolean {
  const mine = `${path}.${me.pid}.new`;
  writeFileSync(mine, JSON.stringify(me));
  try {
    linkSync(mine, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(mine, { force: true });
  }
  const owner = readOwner(path);
  if (owner === undefined) return false; // being replaced right now: look again
  if (owner.pid === me.pid && owner.start === me.start) return true;
  if (identityAlive(owner)) return false;
  // Stale: move it aside (one breaker wins the rename) and check it is the one judged stale.
  const aside = `${path}.${me.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  const moved = readOwner(aside);
  if (moved && identityAlive(moved)) {
    // A live owner took the lock in between: put it back (fails only if a third took it since).
    try {
      linkSync(aside, path);
    } catch {}
  }
  rmSync(aside, { force: true });
  return false; // take it on the next attempt, through the normal path
}

/**
 * `dema <args>` as the owner ran it (any other program: its script and args), with secrets
 * (`--token`) masked: the lock file is readable by anyone who can read the warehouse.
 */
export function commandLine(argv: readonly string[]): string {
  const args = argv
    .slice(2)
    .map((arg, i, all) => (all[i - 1] === '--token' ? '***' : arg.replace(/^(--token=).*/, '$1***')));
  const program = basename(argv[1] ?? '').startsWith('dema') ? 'dema' : (argv[1] ?? '');
  return [program, ...args].join(' ').slice(0, 200);
}

/**
 * Takes the data directory for this process, waiting up to `waitMs` (Infinity: as long as it
 * takes) for another command to finish. Returns the release function.
 */
export async function acquireStoreLock(directory: string, waitMs = 0): Promise<() => void> {
  makeDirectories(directory);
  const path = join(directory, LOCK_FILE);
  const me: LockOwner = {
    ...currentProcess(),
    command: commandLine(process.argv),
    since: new Date().toISOString(),
  };
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    if (tryTake(path, me)) break;
    const waited = Date.now() - started;
    // A stale lock is broken and taken on the very next attempt, waiting or not.
    // "(waited N s)" only when the caller asked to wait (--wait): a refusal after the retries is not a wait.
    if (attempt >= 2 && waited >= waitMs)
      throw lockedError(directory, readOwner(path), waitMs > 0 ? waited : 0);
    if (attempt >= 2) await new Promise((done) => setTimeout(done, POLL_MS));
  }
  return () => {
    const owner = readOwner(path);
    if (owner?.pid === me.pid && owner.start === me.start) rmSync(path, { force: true });
  };
}
