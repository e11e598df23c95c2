import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { DemaError } from '../../src/errors.ts';
import type { DemaEvent } from '../../src/events.ts';
import { fetchToArchive } from '../../src/ingest/fetch-source.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { chunked, head, rawServer, sized } from '../helpers/raw-http.ts';

const CSV = Buffer.from(
  `id,name\n${Array.from({ length: 20_000 }, (_, i) => `${i},name ${i} ${'x'.repeat(i % 17)}`).join('\n')}\n`,
);

interface Fetched {
  readonly result?: { path: string; sha256: string; bytes: number };
  readonly error?: DemaError;
  readonly events: DemaEvent[];
  readonly archive: string[];
  readonly ms: number;
}

async function fetchFrom(
  t: TestContext,
  location: string,
  limits: {
    maxAttempts?: number;
    idleTimeoutMs?: number;
    connectTimeoutMs?: number;
    maxRedirects?: number;
  } = {},
): Promise<Fetched> {
  const dir = tempDir(t);
  const events: DemaEvent[] = [];
  const started = performance.now();
  try {
    const result = await fetchToArchive({
      source: 'orders',
      merchant: 'm1',
      location,
      archiveDir: dir,
      reporter: { emit: (event) => events.push(event) },
      baseDelayMs: 5,
      maxAttempts: 3,
      idleTimeoutMs: 2_000,
      ...limits,
    });
    return { result, events, archive: listArchive(dir), ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof DemaError)) throw error;
    return { error, events, archive: listArchive(dir), ms: performance.now() - started };
  }
}

function listArchive(dir: string): string[] {
  const sub = join(dir, 'm1', 'orders');
  return existsSync(sub) ? readdirSync(sub) : [];
}

function retries(fetched: Fetched): string[] {
  return fetched.events.flatMap((e) => (e.type === 'fetch.retry' ? [e.reason] : []));
}

/** A failed fetch: coded, nothing in the archive (no .part either), the expected number of tries. */
function assertFailed(fetched: Fetched, requests: number, expectedRequests: number, message: RegExp) {
  assert.ok(fetched.error, `expected a failure, got ${JSON.stringify(fetched.result)}`);
  assert.equal(fetched.error.code, 'INGEST_FETCH');
  assert.match(fetched.error.message, message);
  assert.ok(fetched.error.hint);
  assert.deepEqual(fetched.archive, [], 'nothing may be left in the archive');
  assert.equal(requests, expectedRequests, 'requests made');
}

function assertWhole(fetched: Fetched, expected: Buffer = CSV) {
  assert.ok(fetched.result, fetched.error?.message);
  assert.deepEqual(readFileSync(fetched.result.path), expected);
  assert.equal(fetched.result.bytes, expected.length);
  assert.equal(fetched.archive.filter((name) => name.endsWith('.part')).length, 0);
}

test('a whole chunked body is archived; one cut before its terminating chunk is retried, then fails', async (t) => {
  const whole = await rawServer(t, (socket) => chunked(socket, CSV));
  assertWhole(await fetchFrom(t, whole.url('/orders.csv')));
  // Cut at a chunk boundary (only the terminating chunk missing) and in the middle of a chunk.
  for (const how of [{ noEnd: true }, { cutAfter: 30_000 }]) {
    const cut = await rawServer(t, (socket) => chunked(socket, CSV, how));
    const fetched = await fetchFrom(t, cut.url('/orders.csv'));
    assertFailed(fetched, cut.requests.length, 3, /failed 3 times; last: transfer/);
    assert.equal(retries(fetched).length, 2);
  }
});

test('a body shorter than its Content-Length is retried, then fails; a retry that succeeds is whole', async (t) => {
  const short = await rawServer(t, (socket) =>
    socket.end(Buffer.concat([Buffer.from(head('200 OK', { 'content-length': CSV.length + 10 })), CSV])),
  );
  assertFailed(await fetchFrom(t, short.url('/o.csv')), short.requests.length, 3, /transfer/);
  const flaky = await rawServer(t, (socket, _path, n) =>
    n === 1
      ? socket.end(
          Buffer.concat([
            Buffer.from(head('200 OK', { 'content-length': CSV.length })),
            CSV.subarray(0, 5000),
          ]),
        )
      : sized(socket, CSV),
  );
  const fetched = await fetchFrom(t, flaky.url('/o.csv'));
  assertWhole(fetched);
  assert.equal(flaky.requests.length, 2);
  assert.match(retries(fetched)[0]!, /transfer (broke|ended)/);
});

test('gzip, deflate (zlib and raw), br and stacked encodings are decoded; the length checked is the encoded one', async (t) => {
  const encodings: [string, Buffer][] = [
    ['gzip', gzipSync(CSV)],
    ['deflate', deflateSync(CSV)],
    ['deflate', deflateRawSync(CSV)],
    ['br', brotliCompressSync(CSV)],
    ['gzip, br', brotliCompressSync(gzipSync(CSV))],
  ];
  for (const [encoding, body] of encodings) {
    const server = await rawServer(t, (socket) => sized(socket, body, { 'content-encoding': encoding }));
    const fetched = await fetchFrom(t, server.url('/o.csv'));
    assertWhole(fetched);
    assert.equal(server.requests.length, 1, encoding);
    const chunkedServer = await rawServer(t, (socket) =>
      chunked(socket, body, { extra: { 'content-encoding': encoding } }),
    );
    assertWhole(await fetchFrom(t, chunkedServer.url('/o.csv')));
  }
  // Deflate's two header bytes split across chunks: zlib-wrapped and raw are still told apart.
  for (const body of [deflateSync(CSV), deflateRawSync(CSV)]) {
    const split = await rawServer(t, (socket) => {
      socket.write(head('200 OK', { 'content-encoding': 'deflate', 'transfer-encoding': 'chunked' }));
      socket.write(Buffer.concat([Buffer.from('1\r\n'), body.subarray(0, 1)]));
      const rest = body.subarray(1);
      setTimeout(
        () =>
          socket.end(
            Buffer.concat([
              Buffer.from(`\r\n${rest.length.toString(16)}\r\n`),
              rest,
              Buffer.from('\r\n0\r\n\r\n'),
            ]),
          ),
        50,
      );
    });
    assertWhole(await fetchFrom(t, split.url('/o.csv')));
  }
  // A gzip body cut short is a broken transfer, not a shorter file.
  const gz = gzipSync(CSV);
  const cut = await rawServer(t, (socket) =>
    socket.end(
      Buffer.concat([
        Buffer.from(head('200 OK', { 'content-length': gz.length, 'content-encoding': 'gzip' })),
        gz.subarray(0, gz.length >> 1),
      ]),
    ),
  );
  assertFailed(await fetchFrom(t, cut.url('/o.csv')), cut.requests.length, 3, /transfer/);
  const unknown = await rawServer(t, (socket) => sized(socket, CSV, { 'content-encoding': 'zstd' }));
  assertFailed(
    await fetchFrom(t, unknown.url('/o.csv')),
    unknown.requests.length,
    1,
    /unsupported Content-Encoding "zstd"/,
  );
});

test('redirects: a chain within the limit is followed; loops, too many and non-HTTP schemes fail at once', async (t) => {
  const server = await rawServer(t, (socket, path) => {
    const hop = /^\/hop(\d+)$/.exec(path);
    if (hop) {
      const n = Number(hop[1]);
      return socket.end(
        head('302 Found', { location: n > 1 ? `/hop${n - 1}` : '/final.csv', 'content-length': 0 }),
      );
    }
    if (path === '/loop-a')
      return socket.end(head('301 Moved', { location: '/loop-b', 'content-length': 0 }));
    if (path === '/loop-b')
      return socket.end(head('301 Moved', { location: '/loop-a', 'content-length': 0 }));
    if (path === '/to-file')
      return socket.end(head('302 Found', { location: 'file:///etc/passwd', 'content-length': 0 }));
    sized(socket, CSV);
  });
  const count = () => server.requests.splice(0).length;
  assertWhole(await fetchFrom(t, server.url('/hop5')));
  assert.equal(count(), 6);
  assertFailed(await fetchFrom(t, server.url('/hop6')), count(), 6, /more than 5 redirects/);
  assertFailed(await fetchFrom(t, server.url('/loop-a')), count(), 2, /redirect loop/);
  assertFailed(await fetchFrom(t, server.url('/to-file')), count(), 1, /redirected to file:/);
});

test('4xx fails at once; 503 and 429 are retried', async (t) => {
  const notFound = await rawServer(t, (socket) => socket.end(head('404 Not Found', { 'content-length': 0 })));
  const fetched = await fetchFrom(t, notFound.url('/o.csv'));
  assertFailed(fetched, notFound.requests.length, 1, /HTTP 404/);
  assert.doesNotMatch(fetched.error!.hint!, /server or network is failing/);
  const busy = await rawServer(t, (socket, _path, n) =>
    n === 1
      ? socket.end(head('503 Service Unavailable', { 'content-length': 0 }))
      : n === 2
        ? socket.end(head('429 Too Many Requests', { 'content-length': 0 }))
        : sized(socket, CSV),
  );
  const retried = await fetchFrom(t, busy.url('/o.csv'));
  assertWhole(retried);
  assert.equal(busy.requests.length, 3);
  assert.deepEqual(
    retries(retried).map((r) => r.slice(0, 8)),
    ['HTTP 503', 'HTTP 429'],
  );
});

test('a server that never answers, or stalls mid-body, fails within the configured idle time', async (t) => {
  const silent = await rawServer(t, () => {});
  const never = await fetchFrom(t, silent.url('/o.csv'), { idleTimeoutMs: 300, maxAttempts: 2 });
  assertFailed(never, silent.requests.length, 2, /no data received for 300 ms/);
  assert.ok(never.ms < 3_000, `took ${never.ms} ms`);
  const stall = await rawServer(t, (socket) =>
    socket.write(
      Buffer.concat([Buffer.from(head('200 OK', { 'content-length': CSV.length })), CSV.subarray(0, 10_000)]),
    ),
  );
  const stalled = await fetchFrom(t, stall.url('/o.csv'), { idleTimeoutMs: 300, maxAttempts: 2 });
  assertFailed(
    stalled,
    stall.requests.length,
    2,
    /transfer broke after 10000 bytes: no data received for 300 ms/,
  );
  assert.ok(stalled.ms < 3_000, `took ${stalled.ms} ms`);
});

/**
 * A port whose connections never complete: a socket listening with a backlog of 0 that never
 * accepts; once one connection fills the queue, the kernel drops further SYNs (the connect hangs).
 */
async function unansweredPort(t: TestContext): Promise<number> {
  const child = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
  ]);
  t.after(() => child.kill());
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once('error', reject);
  });
  const filler = connect(port, '127.0.0.1');
  filler.on('error', () => {});
  t.after(() => filler.destroy());
  await new Promise((resolve) => filler.once('connect', resolve));
  return port;
}

test('a connection that is never accepted fails within connect_timeout_ms', async (t) => {
  const port = await unansweredPort(t);
  const fetched = await fetchFrom(t, `http://127.0.0.1:${port}/o.csv`, {
    connectTimeoutMs: 300,
    maxAttempts: 2,
  });
  assert.ok(fetched.error);
  assert.match(fetched.error.message, /failed 2 times; last: no connection within 300 ms/);
  assert.ok(fetched.ms < 3_000, `took ${fetched.ms} ms`);
});

test('a ClickHouse server that accepts and never answers fails the connect within connect_timeout_ms', {
  timeout: 20_000,
}, async (t) => {
  const silent = await rawServer(t, () => {});
  const port = Number(new URL(silent.url('/')).port);
  const started = performance.now();
  await assert.rejects(
    connectWarehouse({
      type: 'clickhouse',
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'dema',
      password: 'secret-pw',
      schema: 'x',
      request_timeout_ms: 300_000,
      connect_timeout_ms: 400,
      settings: {},
    }),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'WAREHOUSE_CONNECT' &&
      /no answer to \/ping within 400 ms/.test(error.message) &&
      !error.message.includes('secret-pw') &&
      Boolean(error.hint),
  );
  assert.ok(performance.now() - started < 3_000);
});
