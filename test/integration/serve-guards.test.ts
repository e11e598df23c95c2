import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { handleClickHouse } from '../../src/web/clickhouse-http.ts';
import { ReadonlyEngine } from '../../src/web/engine.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';
import { writeMultiMerchantProject } from '../helpers/multi-merchant.ts';
import { startServe } from '../helpers/serve.ts';

const run = promisify(execFile);

/** A statement that would run for hours: sipHash over 10^11 numbers. */
const RUNAWAY = 'SELECT sum(sipHash64(number)) FROM numbers(100000000000)';

test('serve engine: a runaway reading statement is stopped, and the engine answers the next one', {
  timeout: 60_000,
}, async (t) => {
  const warehouse = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  const engine = await ReadonlyEngine.open(warehouse, 1);
  const started = Date.now();
  await assert.rejects(engine.text(RUNAWAY, 'TSV'), /TIMEOUT_EXCEEDED|Timeout exceeded/);
  assert.ok(Date.now() - started < 30_000, 'stopped by max_execution_time, not by the test');
  assert.equal(await engine.text('SELECT 1', 'TSV'), '1\n');
  // The limit is fixed before readonly = 1, which then forbids lifting it.
  await assert.rejects(engine.text('SELECT 1 SETTINGS max_execution_time = 0', 'TSV'), /readonly/i);
});

interface Captured {
  status?: number;
  body: string;
}

function fakeResponse(captured: Captured): ServerResponse {
  return {
    writeHead(status: number) {
      captured.status = status;
      return this;
    },
    end(body: string) {
      captured.body = body ?? '';
    },
  } as unknown as ServerResponse;
}

function post(body: Buffer, headers: Record<string, string>): IncomingMessage {
  return Object.assign(Readable.from([body]), { method: 'POST', headers }) as unknown as IncomingMessage;
}

test("ClickHouse HTTP: a gzip body is limited by its inflated size, a broken one is a 400; any method's body is checked", async () => {
  let ran = 0;
  const engine = {
    text: async () => {
      ran++;
      return '1\n';
    },
  } as unknown as ReadonlyEngine;
  const url = new URL('http://h/');
  // 8 MiB of spaces after a SELECT compress to ~8 KB: a small request, a big string.
  const bomb = gzipSync(Buffer.concat([Buffer.from('SELECT 1 -- '), Buffer.alloc(8 << 20, 0x20)]));
  assert.ok(bomb.length < 64 * 1024);
  const big: Captured = { body: '' };
  await handleClickHouse(engine, post(bomb, { 'content-encoding': 'gzip' }), fakeResponse(big), url);
  assert.equal(big.status, 413, big.body);
  assert.equal(ran, 0, 'never reached the engine');

  const broken: Captured = { body: '' };
  await handleClickHouse(
    engine,
    post(Buffer.from('SELECT 1'), { 'content-encoding': 'gzip' }),
    fakeResponse(broken),
    url,
  );
  assert.equal(broken.status, 400, broken.body);
  assert.match(broken.body, /^Code: 354\. DB::Exception: .*gzip/);

  // A write in the body of a PUT (or a GET) is checked like a POST's, never answered "Ok.".
  for (const method of ['PUT', 'GET', 'PATCH']) {
    const put: Captured = { body: '' };
    const request = Object.assign(post(Buffer.from('INSERT INTO t VALUES (1)'), {}), { method });
    await handleClickHouse(engine, request, fakeResponse(put), url);
    assert.equal(put.status, 403, `${method}: ${put.body}`);
    assert.match(put.body, /READONLY/);
  }

  const small: Captured = { body: '' };
  await handleClickHouse(
    engine,
    post(gzipSync('SELECT 1'), { 'content-encoding': 'gzip' }),
    fakeResponse(small),
    url,
  );
  assert.equal(small.status, 200);
  assert.equal(ran, 1);
});

test('dema serve refuses an empty token off loopback, and a bad --max-execution-time', async () => {
  const empty = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--token', ''], {
    env: { DEMA_SERVE_TOKEN: '' },
    // Were it to start (the bug), stop it so the test fails instead of hanging.
    onStdout: (chunk, child) => void (chunk.includes('listening') && child.kill('SIGTERM')),
  });
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(empty.stderr, /USAGE.*needs a token/);
  const limit = await runCli(['serve', '--port', '0', '--max-execution-time', '0']);
  assert.equal(limit.code, 2, limit.stderr);
  assert.match(limit.stderr, /--max-execution-time must be a whole number of seconds/);
});

test('serve: /api/freshness follows a project edit (parsed again only then); /docs advice works beside serve; a non-loopback Host is refused', async (t) => {
  const dir = tempDir(t, 'dema-serve-fresh-');
  await writeMultiMerchantProject(dir, { orderLines: 10, styles: 5 });
  const { url } = await startServe(t, dir, ['--port', '0']);
  type Row = { source: string; criteria: { warn_after?: { count: number } } };
  const rules = async () =>
    ((await (await fetch(`${url}/api/freshness`)).json()) as Row[]).map(
      (row) => `${row.source}:${row.criteria.warn_after?.count}`,
    );
  assert.deepEqual(await rules(), ['landing.inventory:24', 'landing.orders:24']);
  assert.deepEqual(await rules(), ['landing.inventory:24', 'landing.orders:24']);
  const sources = join(dir, 'project/models/sources.yml');
  writeFileSync(
    sources,
    readFileSync(sources, 'utf8').replace('warn_after: { count: 24', 'warn_after: { count: 6'),
  );
  assert.deepEqual(await rules(), ['landing.inventory:6', 'landing.orders:6']);

  // The marts were never built here: the dashboard's API says what to run.
  const unbuilt = await fetch(`${url}/api/filters`);
  assert.equal(unbuilt.status, 503);
  assert.match(
    ((await unbuilt.json()) as { error: string }).error,
    /marts are not built yet: run `dema pipeline`/,
  );

  // /docs without a site names the command that works while serve owns the embedded warehouse.
  const missing = await fetch(`${url}/docs`);
  assert.equal(missing.status, 404);
  const advice = /<code>(dema docs generate --no-compile --empty-catalog)<\/code> now/.exec(
    await missing.text(),
  );
  assert.ok(advice, 'the page names a command that runs beside serve');
  const generated = await runCli(advice[1]!.split(' ').slice(1), { cwd: dir });
  assert.equal(generated.code, 0, generated.stderr);
  assert.equal((await fetch(`${url}/docs`)).status, 200);

  // DNS rebinding: a page whose own name resolves to 127.0.0.1 sends its name as the Host.
  const port = new URL(url).port;
  const rebound = await run('curl', [
    '-s',
    '-w',
    '%{http_code}',
    '-H',
    `Host: evil.example:${port}`,
    `${url}/?query=SELECT+42`,
  ]);
  assert.match(rebound.stdout, /Code: 516\..*loopback name.*403$/s);
  const local = await run('curl', ['-s', '-H', `Host: localhost:${port}`, `${url}/?query=SELECT+42`]);
  assert.equal(local.stdout, '42\n');
});
