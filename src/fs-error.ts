import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DemaError, type ErrorCode } from './errors.ts';

/** What a filesystem failure means for the user, and what to do about it, by system error code. */
const MEANINGS: Record<string, { problem: string; hint: string }> = {
  EACCES: {
    problem: 'permission denied',
    hint: 'Make it writable (and readable) by this user, or choose another path.',
  },
  EPERM: {
    problem: 'operation not permitted',
    hint: 'Make it writable by this user, or choose another path.',
  },
  EROFS: { problem: 'the file system is read-only', hint: 'Choose a path on a writable file system.' },
  ENOSPC: {
    problem: 'no space left on the device',
    hint: 'Free some space (or move the path to a larger disk) and run again.',
  },
  EDQUOT: { problem: 'disk quota exceeded', hint: 'Free some space within your quota and run again.' },
  ENOTDIR: {
    problem: 'a part of the path is a file, not a directory',
    hint: 'Remove or rename that file, or choose another path.',
  },
  EEXIST: {
    problem: 'a file is in the way of a directory',
    hint: 'Remove or rename that file, or choose another path.',
  },
  EISDIR: { problem: 'it is a directory, not a file', hint: 'Point the setting at a file.' },
  ENOENT: { problem: 'no such file or directory', hint: 'Check that the path exists.' },
  ENAMETOOLONG: {
    problem: 'the path (or one of its names) is too long',
    hint: 'Use shorter names (merchant, source, file) or a shorter directory.',
  },
  ELOOP: { problem: 'too many symbolic links', hint: 'Fix the symbolic link loop in the path.' },
  EMFILE: { problem: 'too many open files', hint: 'Raise the open-file limit (ulimit -n) and run again.' },
  EIO: { problem: 'an input/output error from the device', hint: 'Check the disk (dmesg) and run again.' },
  ERR_INVALID_ARG_VALUE: {
    problem: 'the path contains a NUL byte',
    hint: 'Remove the NUL byte (\\0) from the setting that makes this path.',
  },
  ERR_INVALID_ARG_TYPE: {
    problem: 'the path contains a NUL byte',
    hint: 'Remove the NUL byte (\\0) from the setting that makes this path.',
  },
};

/** The system error code of a filesystem failure, or undefined for anything else. */
export function fsErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in MEANINGS ? code : undefined;
}

/**
 * A filesystem failure as a coded error naming the path and what was being done; other errors
 * (already coded, or bugs) are returned unchanged.
 */
export function fsError(code: ErrorCode, error: unknown, path: string, doing: string): unknown {
  if (error instanceof DemaError) return error;
  const system = fsErrorCode(error);
  if (!system) return error;
  const meaning = MEANINGS[system]!;
  const shown = JSON.stringify(path).slice(1, -1);
  return new DemaError(code, `Cannot ${doing} ${shown}: ${meaning.problem} (${system}).`, {
    hint: meaning.hint,
    cause: error,
  });
}

/** Runs `work`, turning a filesystem failure into a coded error about `path`. */
export function onPath<T>(code: ErrorCode, path: string, doing: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw fsError(code, error, path, doing);
  }
}

/**
 * `mkdir -p` whose failure names its real cause: Node's recursive mkdir reports some (a read-only
 * file system) as ENOENT, so each missing level is made on its own.
 */
export function makeDirectories(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    // Made meanwhile by another process: fine.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error;
  }
}
