import { createWriteStream } from 'node:fs';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { DemaError, errorMessage } from '../errors.ts';
import { fsError, fsErrorCode } from '../fs-error.ts';

/**
 * One HTTP download, verified end to end. The invariant: a download resolves only when the whole
 * body arrived — a chunked body with its terminating chunk, a sized body with exactly its
 * Content-Length (counted on the wire, before decoding) — and was decoded without error. A failure
 * a retry can fix (connection, timeout, 5xx/408/429, a cut or corrupt body) is a RetryableError;
 * one it cannot fix (4xx, a redirect loop or to a non-HTTP scheme, the archive disk) is a DemaError.
 */

export class RetryableError extends Error {}

export interface HttpLimits {
  /** Fail when the TCP (and TLS) connection is not up within this long. */
  readonly connectTimeoutMs: number;
  /** Fail when the server sends nothing (headers or body) for this long. */
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
}

export const HTTP_DEFAULTS: HttpLimits = { connectTimeoutMs: 5_000, idleTimeoutMs: 15_000, maxRedirects: 5 };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function fetchError(url: string, message: string, hint: string): DemaError {
  return new DemaError('INGEST_FETCH', `GET ${url}: ${message}`, { hint });
}

/** Sends the request; resolves with the response headers, within the connect and idle limits. */
interface Exchange {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
  /** Why dema broke the connection off (a timeout), if it did. */
  readonly fault: () => RetryableError | undefined;
}

function requestOnce(url: URL, limits: HttpLimits): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let fault: RetryableError | undefined;
    const fail = (reason: string) => {
      fault = new RetryableError(reason);
      request.destroy(fault);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // A fresh connection per attempt (agent: false): a retry must not reuse a stalled socket.
    const request = send(url, {
      agent: false,
      headers: { 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'dema' },
    });
    const connectTimer = setTimeout(
      () => fail(`no connection within ${limits.connectTimeoutMs} ms`),
      limits.connectTimeoutMs,
    );
    request.on('socket', (socket: Socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    // Socket inactivity, waiting for the headers and later between body bytes alike.
    request.setTimeout(limits.idleTimeoutMs, () => fail(`no data received for ${limits.idleTimeoutMs} ms`));
    request.on('response', (response) => {
      clearTimeout(connectTimer);
      resolve({ request, response, fault: () => fault });
    });
    request.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(
        error instanceof RetryableError
          ? error
          : new RetryableError(`connection failed: ${errorMessage(error)}${codeOf(error)}`),
      );
    });
    request.end();
  });
}

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? ` (${code})` : '';
}

/** Follows redirects (at most `maxRedirects`, only to http(s), never in a loop) to the final response. */
async function follow(location: string, limits: HttpLimits) {
  const seen = new Set<string>();
  let url = new URL(location);
  for (let hops = 0; ; hops++) {
    seen.add(url.href);
    const answer = await requestOnce(url, limits);
    const { status, target } = {
      status: answer.response.statusCode ?? 0,
      target: answer.response.headers.location,
    };
    if (!REDIRECTS.has(status) || !target) return { ...answer, url };
    answer.response.resume();
    answer.request.destroy();
    const next = new URL(target, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw fetchError(
        location,
        `redirected to ${next.protocol}// (${next.href}), which dema does not follow.`,
        'Only http:// and https:// redirects are followed; give the final URL with --location.',
      );
    if (seen.has(next.href))
      throw fetchError(
        location,
        `redirect loop (${url.href} → ${next.href}).`,
        'The server redirects in a circle; fix the URL or the server.',
      );
    if (hops + 1 > limits.maxRedirects)
      throw fetchError(
        location,
        `more than ${limits.maxRedirects} redirects.`,
        'Give the final URL with --location.',
      );
    url = next;
  }
}

/** Decoders for a Content-Encoding header, in the order to apply them (the header lists them as applied). */
function decoders(encoding: string | undefined, url: string): Transform[] {
  const names = (encoding ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name && name !== 'identity');
  return names.reverse().map((name) => {
    if (name === 'gzip' || name === 'x-gzip') return createGunzip();
    if (name === 'br') return createBrotliDecompress();
    if (name === 'deflate') return inflateEither();
    throw fetchError(url, `unsupported Content-Encoding "${name}".`, 'dema decodes gzip, deflate and br.');
  });
}

/** HTTP "deflate" is zlib-wrapped by the standard, raw by some servers: the first two bytes tell. */
function inflateEither(): Transform {
  let inner: Transform | undefined;
  let head = Buffer.alloc(0);
  return new Transform({
    transform(piece: Buffer, _encoding, done) {
      let chunk = piece;
      if (!inner) {
        // Decided on the first two bytes, however the body was split.
        head = Buffer.concat([head, piece]);
        if (head.length < 2) return done();
        chunk = head;
        const wrapped = (chunk[0]! & 0x0f) === 8 && ((chunk[0]! << 8) | chunk[1]!) % 31 === 0;
        inner = wrapped ? createInflate() : createInflateRaw();
        inner.on('data', (data: Buffer) => this.push(data));
        inner.on('error', (error) => this.destroy(error));
      }
      if (inner.write(chunk)) done();
      else inner.once('drain', () => done());
    },
    flush(done) {
      if (!inner) return done(head.length > 0 ? new Error('deflate body of one byte') : undefined);
      inner.once('end', () => done());
      inner.end();
    },
  });
}

/** Counts the bytes as they come off the wire (before any decoding). */
function counter(state: { wire: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      state.wire += chunk.length;
      done(null, chunk);
    },
  });
}

export interface Download {
  /** Bytes on the wire (encoded). */
  readonly wireBytes: number;
  /** Declared Content-Length (of the encoded body), when the response had one. */
  readonly declaredBytes: number | undefined;
}

/**
 * Downloads `location` into `target`, passing the decoded bytes through `inspect` (hash, progress).
 */
export async function downloadOnce(
  location: string,
  target: string,
  limits: HttpLimits,
  inspect: Transform,
): Promise<Download> {
  const { request, response, fault } = await follow(location, limits);
  try {
    const status = response.statusCode ?? 0;
    if (status >= 500 || status === 429 || status === 408)
      throw new RetryableError(`HTTP ${status} ${response.statusMessage ?? ''}`.trim());
    if (status < 200 || status >= 300)
      throw fetchError(
        location,
        `the server answered HTTP ${status} ${response.statusMessage ?? ''}.`,
        'Check the URL (or override it with --location SOURCE=URL_OR_PATH); retrying will not help.',
      );
    const lengthHeader = response.headers['content-length'];
    const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
    const decoding = decoders(response.headers['content-encoding'], location);
    const state = { wire: 0 };
    let writeFailure: unknown;
    const writer = createWriteStream(target).on('error', (error) => {
      // The writer also reports the failure the pipeline destroyed it with: only its own counts.
      if (fsErrorCode(error)) writeFailure = error;
    });
    try {
      await pipeline([response, counter(state), ...decoding, inspect, writer]);
    } catch (error) {
      // The file may still be opening when the pipeline fails: wait until it is closed, so the
      // caller's removal of the partial file cannot run before its creation.
      writer.destroy();
      if (!writer.closed) await new Promise<void>((closed) => writer.once('close', () => closed()));
      if (writeFailure) throw fsError('INGEST_ARCHIVE', writeFailure, target, 'write the archived copy');
      if (error instanceof DemaError) throw error;
      const reason = fault()?.message ?? `${errorMessage(error)}${codeOf(error)}`;
      throw new RetryableError(`transfer broke after ${state.wire} bytes: ${reason}`);
    }
    // Node's parser marks a message complete only at its terminating chunk or its full length.
    if (!response.complete)
      throw new RetryableError(`transfer ended after ${state.wire} bytes, before the end of the body`);
    if (declared !== undefined && state.wire !== declared)
      throw new RetryableError(`transfer ended after ${state.wire} of ${declared} bytes`);
    return { wireBytes: state.wire, declaredBytes: declared };
  } finally {
    request.destroy();
  }
}
