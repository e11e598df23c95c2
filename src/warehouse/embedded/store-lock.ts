import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DemaError } from '../../errors.ts';
import { processAlive } from '../../process-alive.ts';

interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

const LOCK_FILE = 'dema.lock';

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export function lockedError(directory: string, owner: LockOwner | undefined): DemaError {
  const who = owner
    ? `process ${owner.pid} (${owner.command}), running since ${owner.since}`
    : 'another process';
  // `dema serve` holds the warehouse until stopped: point at its HTTP interface rather than waiting.
  const hint = owner?.command.startsWith('dema serve')
    ? `dema serve owns the warehouse while it runs: query it through its read-only HTTP interface (curl 'http://HOST:PORT/?query=…' or any ClickHouse client), or stop it (Ctrl-C, or kill ${owner.pid}) and retry.`
    : 'chDB allows one process per data directory: wait for that command to finish, stop it, or use --target server.';
  return new DemaError('WAREHOUSE_LOCKED', `The embedded warehouse at ${directory} is in use by ${who}.`, {
    hint,
  });
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
 * Takes the data directory for this process. chDB itself refuses a second opener with a bare
 * "Cannot lock file" error; this lock comes first so the refusal can name the owner.
 * Returns the release function.
 */
export function acquireStoreLock(directory: string): () => void {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    command: commandLine(process.argv),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        const owner = readOwner(path);
        if (owner?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner && owner.pid !== process.pid && processAlive(owner.pid)) throw lockedError(directory, owner);
      // The owner died without releasing: the lock is stale.
      rmSync(path, { force: true });
    }
  }
  throw lockedError(directory, readOwner(path));
}
