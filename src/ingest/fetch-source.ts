import {
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DemaError, errorMessage } from '../errors.ts';
import type { Reporter } from '../events.ts';
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
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  /** Abort an HTTP transfer that sends nothing for this long. */
  readonly idleTimeoutMs?: number;
}

class RetryableError extends Error {}

export function isHttp(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

export function localPath(location: string): string {
  return resolve(location.replace(/^file:\/\//, ''));
}

/** The file's stat, or a clear error when there is no file at `path`. */
export function statSource(path: string, source: string): Stats {
  const stat = statSync(path, { throwIfNoEntry: false });
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
function inspecting(
  inspector: ByteInspector,
  counter: { bytes: number },
  onProgress: (bytesDone: number) => void,
): Transform {
  let reported = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inspector.update(chunk);
      counter.bytes += chunk.length;
      if (counter.bytes - reported >= PROGRESS_EVERY_BYTES) {
        reported = counter.bytes;
        onProgress(counter.bytes);
      }
      done(null, chunk);
    },
  });
}

async function downloadOnce(
  url: string,
  target: string,
  idleTimeoutMs: number,
  inspector: ByteInspector,
  onProgress: (bytesDone: number, bytesTotal: number) => void,
) {
  const controller = new AbortController();
  let idle = setTimeout(
    () => controller.abort(new RetryableError('no data received for too long')),
    idleTimeoutMs,
  );
  const resetIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => controller.abort(new RetryableError('no data received for too long')),
      idleTimeoutMs,
    );
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new RetryableError(`connection failed: ${errorMessage((error as Error).cause ?? error)}`);
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408)
      throw new RetryableError(`HTTP ${response.status} ${response.statusText}`);
    if (!response.ok || !response.body)
      throw new DemaError(
        'INGEST_FETCH',
        `GET ${url} answered HTTP ${response.status} ${response.statusText}.`,
        {
          hint: 'Check the URL (or override it with --location SOURCE=URL_OR_PATH).',
        },
      );
    const expected = Number(response.headers.get('content-length') ?? Number.NaN);
    const counter = { bytes: 0 };
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', resetIdle);
    try {
      await pipeline(
        body,
        inspecting(inspector, counter, (done) => onProgress(done, Number.isFinite(expected) ? expected : 0)),
        createWriteStream(target),
      );
    } catch (error) {
      throw new RetryableError(`transfer broke after ${counter.bytes} bytes: ${errorMessage(error)}`);
    }
    if (Number.isFinite(expected) && counter.bytes !== expected)
      throw new RetryableError(`transfer ended after ${counter.bytes} of ${expected} bytes`);
    return counter.bytes;
  } finally {
    clearTimeout(idle);
  }
}

/**
 * Copies a source's bytes into the raw archive, hashing them on the way. HTTP transfers retry with
 * exponential backoff on connection failures, timeouts, 5xx and truncated bodies. The archive file
 * appears under its final name only when complete, and no existing file is ever overwritten.
 */
export async function fetchToArchive(options: FetchOptions): Promise<ArchivedFile> {
  const { source, merchant, location, reporter } = options;
  const dir = resolve(options.archiveDir, merchant, source);
  mkdirSync(dir, { recursive: true });
  const name = basename(isHttp(location) ? new URL(location).pathname : location) || `${source}.csv`;
  const partial = join(dir, `.${process.pid}-${Date.now()}-${name}.part`);
  reporter.emit({ type: 'fetch.start', source, location });
  let facts: ByteFacts;
  try {
    if (isHttp(location)) {
      const maxAttempts = options.maxAttempts ?? 5;
      for (let attempt = 1; ; attempt++) {
        const inspector = new ByteInspector();
        try {
          await downloadOnce(
            location,
            partial,
            options.idleTimeoutMs ?? 30_000,
            inspector,
            (bytesDone, bytesTotal) =>
              reporter.emit({ type: 'fetch.progress', source, bytesDone, bytesTotal }),
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
      await copyFile(path, partial, constants.COPYFILE_FICLONE);
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
    renameSync(partial, final);
    reporter.emit({ type: 'fetch.done', source, path: final, sha256, bytes });
    return { ...facts, path: final };
  } finally {
    rmSync(partial, { force: true });
  }
}
