import { constants, existsSync, readdirSync, renameSync, rmSync, type Stats, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { DemaError } from '../errors.ts';
import type { Reporter } from '../events.ts';
import { fsError, makeDirectories, onPath } from '../fs-error.ts';
import { downloadOnce, HTTP_DEFAULTS, RetryableError } from './http-download.ts';
import { type ByteFacts, ByteInspector, inspectFile } from './inspect-bytes.ts';

/** An archived copy, with what one pass over its bytes found (sha256, line feeds, UTF-8). */
export interface ArchivedFile extends ByteFacts {
  readonly path: string;
}

export interface FetchOptions {
  readonly source: string;
  readonly merchant: string;
  readonly location: string;
  readonly archiveDir: string;
  readonly reporter: Reporter;
  /** HTTP attempts in all (the first and its retries). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  /** Fail an HTTP attempt whose connection is not up within this long. */
  readonly connectTimeoutMs?: number;
  /** Abort an HTTP transfer that sends nothing for this long. */
  readonly idleTimeoutMs?: number;
  readonly maxRedirects?: number;
}

export function isHttp(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

export function localPath(location: string): string {
  return resolve(location.replace(/^file:\/\//, ''));
}

/** The file's stat, or a clear error when there is no file at `path`. */
export function statSource(path: string, source: string): Stats {
  const stat = onPath('INGEST_FETCH', path, `read source "${source}" at`, () =>
    statSync(path, { throwIfNoEntry: false }),
  );
  if (!stat?.isFile())
    throw new DemaError('INGEST_FETCH', `Source "${source}": no file at ${path}.`, {
      hint: 'Check the location in dema.yml, or pass --location SOURCE=PATH.',
    });
  return stat;
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

const PROGRESS_EVERY_BYTES = 4 << 20;

/** Passes bytes through while inspecting (hashing, counting) them; reports progress every 4 MB. */
function inspecting(inspector: ByteInspector, onProgress: (bytesDone: number) => void): Transform {
  let reported = 0;
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inspector.update(chunk);
      bytes += chunk.length;
      if (bytes - reported >= PROGRESS_EVERY_BYTES) {
        reported = bytes;
        onProgress(bytes);
      }
      done(null, chunk);
    },
  });
}

/** The archive directory of a merchant's source; ids that would leave `archiveDir` are refused. */
function sourceDir(archiveDir: string, merchant: string, source: string): string {
  const root = resolve(archiveDir);
  const dir = resolve(root, merchant, source);
  const inside = relative(root, dir);
  if (inside.startsWith('..') || resolve(root, inside) !== dir || inside.split(/[\\/]/).length !== 2)
    throw new DemaError(
      'CONFIG_INVALID',
      `Merchant "${merchant}" / source "${source}" would place the archive outside ${root}.`,
      { hint: 'Merchant and source names are single path names: letters, digits, _ . - (see dema.yml).' },
    );
  return dir;
}

/** The archived copy's name: the source file's own name, reduced to characters safe in any path. */
function archiveName(location: string, source: string): string {
  const raw = basename(isHttp(location) ? new URL(location).pathname : location);
  const safe = raw
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(-100);
  return safe || `${source}.csv`;
}

/**
 * Copies a source's bytes into the raw archive, hashing them on the way. HTTP transfers retry with
 * exponential backoff on connection failures, timeouts, 5xx and truncated bodies. The archive file
 * appears under its final name only when complete, and no existing file is ever overwritten.
 */
export async function fetchToArchive(options: FetchOptions): Promise<ArchivedFile> {
  const { source, merchant, location, reporter } = options;
  const dir = sourceDir(options.archiveDir, merchant, source);
  onPath('INGEST_ARCHIVE', dir, 'create the archive directory', () => makeDirectories(dir));
  const name = archiveName(location, source);
  const partial = join(dir, `.${process.pid}-${Date.now()}-${name}.part`);
  reporter.emit({ type: 'fetch.start', source, location });
  let facts: ByteFacts;
  try {
    if (isHttp(location)) {
      const maxAttempts = options.maxAttempts ?? 4;
      const limits = {
        connectTimeoutMs: options.connectTimeoutMs ?? HTTP_DEFAULTS.connectTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? HTTP_DEFAULTS.idleTimeoutMs,
        maxRedirects: options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects,
      };
      for (let attempt = 1; ; attempt++) {
        const inspector = new ByteInspector();
        try {
          await downloadOnce(
            location,
            partial,
            limits,
            inspecting(inspector, (bytesDone) =>
              reporter.emit({ type: 'fetch.progress', source, bytesDone, bytesTotal: 0 }),
            ),
          );
          facts = inspector.digest();
          break;
        } catch (error) {
          const reason = error instanceof RetryableError ? error.message : undefined;
          if (reason === undefined) throw error;
          if (attempt >= maxAttempts)
            throw new DemaError('INGEST_FETCH', `GET ${location} failed ${attempt} times; last: ${reason}.`, {
              hint: 'The server or network is failing; try again later, or load a local copy with --location.',
            });
          const delayMs = Math.round(
            (options.baseDelayMs ?? 500) * 2 ** (attempt - 1) * (0.75 + Math.random() / 2),
          );
          reporter.emit({ type: 'fetch.retry', source, attempt, delayMs, reason });
          await new Promise((done) => setTimeout(done, delayMs));
        }
      }
    } else {
      const path = localPath(location);
      // The kernel copies (copy_file_range; a reflink where the filesystem has them), then the
      // archived copy — what is kept — is inspected from the page cache.
      const { size } = statSource(path, source);
      try {
        await copyFile(path, partial, constants.COPYFILE_FICLONE);
      } catch (error) {
        throw fsError('INGEST_ARCHIVE', error, partial, `copy ${path} to the archive as`);
      }
      facts = await inspectFile(partial, (bytesDone) =>
        reporter.emit({ type: 'fetch.progress', source, bytesDone, bytesTotal: size }),
      );
    }
    const { sha256, bytes } = facts;
    // The same bytes are archived once: a re-fetch of an unchanged file reuses the earlier copy.
    const earlier = readdirSync(dir).find(
      (entry) => entry.includes(`-${sha256.slice(0, 12)}-`) && statSync(join(dir, entry)).size === bytes,
    );
    if (earlier) {
      const path = join(dir, earlier);
      reporter.emit({ type: 'fetch.done', source, path, sha256, bytes });
      return { ...facts, path };
    }
    let final = join(dir, `${stamp(new Date())}-${sha256.slice(0, 12)}-${name}`);
    for (let n = 2; existsSync(final); n++)
      final = join(dir, `${stamp(new Date())}-${sha256.slice(0, 12)}-${n}-${name}`);
    onPath('INGEST_ARCHIVE', final, 'publish the archived copy as', () => renameSync(partial, final));
    reporter.emit({ type: 'fetch.done', source, path: final, sha256, bytes });
    return { ...facts, path: final };
  } finally {
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written (e.g. the directory is gone or read-only): nothing to remove.
    }
  }
}
