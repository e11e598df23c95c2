import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TargetConfig } from '../../src/config/dema-config.ts';
import type { DemaEvent } from '../../src/events.ts';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { runCli } from '../helpers/cli.ts';
import {
  openTestWarehouse,
  serverSkipReason,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

/** Serves one file; `behave` decides per request whether to fail, cut the body or serve it whole. */
async function fileServer(t: TestContext, path: string, behave: (attempt: number) => 'ok' | '503' | 'cut') {
  let attempt = 0;
  const server: Server = createServer((request, response) => {
    attempt++;
    const mode = behave(attempt);
    if (mode === '503') {
      response.writeHead(503).end('busy');
      return;
    }
    const size = statSync(path).size;
    response.writeHead(200, { 'content-length': size, 'content-type': 'text/csv' });
    if (mode === 'cut') {
      // Half the body, then the connection drops.
      const half = readFileSync(path).subarray(0, Math.floor(size / 2));
      response.write(half, () => request.socket.destroy());
      return;
    }
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return {
    url: (name: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`,
    attempts: () => attempt,
  };
}

test('HTTP: a 503 then success, and a connection dropped mid-body, both end in one complete load', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 3000, styles: 40 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const orders = await fileServer(t, join(dir, 'orders.csv'), (n) =>
    n === 1 ? '503' : n === 2 ? 'cut' : 'ok',
  );
  const events: DemaEvent[] = [];
  const outcomes = await ingest(
    config,
    warehouse,
    {
      only: ['orders'],
      locations: { orders: orders.url('orders.csv') },
      force: false,
      fetch: { baseDelayMs: 10 },
    },
    { emit: (event) => events.push(event) },
  );
  assert.equal(outcomes[0]!.status, 'success');
  assert.equal(orders.attempts(), 3);
  const retries = events
    .filter((e) => e.type === 'fetch.retry')
    .map((e) => (e.type === 'fetch.retry' ? e.reason : ''));
  assert.equal(retries.length, 2);
  assert.match(retries[0]!, /HTTP 503/);
  assert.match(retries[1]!, /transfer (broke|ended)/);
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
  assert.equal(Number(rows[0]!.n), 3000);
  const load = (await listLoads(warehouse, { source: 'orders' }))[0]!;
  assert.equal(load.location, orders.url('orders.csv'));
  assert.equal(
    load.sha256,
    execFileSync('sha256sum', [join(dir, 'orders.csv')])
      .toString()
      .split(' ')[0],
  );
  // The archive holds the exact bytes.
  assert.deepEqual(readFileSync(load.archive_path), readFileSync(join(dir, 'orders.csv')));
});

test('HTTP: a server that keeps failing gives a clear error after the retries', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 10, styles: 5 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  const orders = await fileServer(t, join(dir, 'orders.csv'), () => '503');
  const [outcome] = await ingest(
    config,
    warehouse,
    {
      only: ['orders'],
      locations: { orders: orders.url('orders.csv') },
      force: false,
      fetch: { baseDelayMs: 1, maxAttempts: 3 },
    },
    { emit: () => {} },
  );
  assert.equal(outcome!.status, 'failed');
  assert.match(outcome!.status === 'failed' ? outcome!.error.message : '', /failed 3 times; last: HTTP 503/);
});

test('a load killed mid-way leaves nothing visible; the re-run completes it', async (t) => {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 400_000, styles: 100 });
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  // Killed while ClickHouse is inserting into the stage (the insert of 400k lines takes ~0.5 s).
  const killed = await runCli(['--config', config.file, '--json', 'ingest', 'orders'], {
    onEvent: (event, child) => {
      if (event.type === 'load.start') setTimeout(() => child.kill('SIGKILL'), 100);
    },
  });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.ok(!killed.events.some((e) => e.type === 'load.done'), 'killed before the load finished');

  const warehouse = await connectWarehouse(config.targets.test!);
  try {
    const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
    assert.equal(Number(rows[0]!.n), 0, 'no partial rows may be visible');
  } finally {
    await warehouse.close();
  }

  const rerun = await runCli(['--config', config.file, '--json', 'ingest', 'orders']);
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  assert.ok(rerun.events.some((e) => e.type === 'load.recovered'));
  const after = await connectWarehouse(config.targets.test!);
  try {
    const { rows } = await after.query<{ n: string }>('SELECT toString(count()) AS n FROM orders');
    assert.equal(Number(rows[0]!.n), 400_000);
    const loads = await listLoads(after, { source: 'orders' });
    assert.deepEqual(loads.map((l) => l.status).sort(), ['failed', 'success']);
    assert.equal((await after.listTables('dema')).filter((x) => x.name.startsWith('_dema_stage_')).length, 0);
  } finally {
    await after.close();
  }
});

test('a second process on the embedded store gets a clear error naming the owner', async (t) => {
  const dir = tempDir(t);
  const config = writeProjectConfig(dir, testTarget('embedded', dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  // The first process really holds the store open (and can use it) while the second tries.
  assert.equal(warehouse.transport, 'embedded');
  assert.deepEqual((await warehouse.query<{ n: number }>('SELECT 1 AS n')).rows, [{ n: 1 }]);
  const second = await runCli(['--config', config.file, 'query', 'SELECT 1']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /WAREHOUSE_LOCKED/);
  assert.match(second.stderr, new RegExp(`in use by process ${process.pid} \\(`));
  assert.match(second.stderr, /hint: /);
});

const SERVER_SCRIPT = fileURLToPath(new URL('../../scripts/clickhouse-server.sh', import.meta.url));

/** Binds `port` on loopback (0: the kernel picks one) and frees it again: the port, or undefined if taken. */
function bindOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createNetServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Free ports for a private server: HTTP, TCP, and TCP + 9 (its interserver port, see the script).
 * Fixed ports collide with anything else on them (a leftover server, another checkout's test run),
 * and the script's ping would then find that other server.
 */
async function freeServerPorts(): Promise<{ http: number; tcp: number }> {
  for (;;) {
    const [http, tcp] = [await bindOnce(0), await bindOnce(0)];
    if (!http || !tcp || tcp + 9 > 65_535 || http === tcp + 9) continue;
    if (await bindOnce(tcp + 9)) return { http, tcp };
  }
}

test('the server stopped mid-load: clear error, ledger failed, re-run completes', async (t) => {
  const noServer = await serverSkipReason();
  if (noServer) return t.skip(noServer);
  // A private server on other ports, so stopping it disturbs no other test.
  const dir = tempDir(t);
  // Its own folder, removed only after the server is stopped (after-hooks run in order).
  const serverDir = mkdtempSync(join(tmpdir(), 'dema-server-'));
  const ports = await freeServerPorts();
  const env = { ...process.env, CLICKHOUSE_PORT: String(ports.http), CLICKHOUSE_TCP_PORT: String(ports.tcp) };
  const start = () => execFileSync('bash', [SERVER_SCRIPT, 'start', serverDir], { env, stdio: 'pipe' });
  t.after(() => {
    execFileSync('bash', [SERVER_SCRIPT, 'stop', serverDir], { env });
    rmSync(serverDir, { recursive: true, force: true });
  });
  start();
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 300_000, styles: 100 });
  const target: TargetConfig = { ...testTarget('server', dir), port: ports.http } as TargetConfig;
  const config = writeProjectConfig(dir, target);

  let stopped = false;
  const failed = await runCli(['--config', config.file, '--json', 'ingest', 'orders'], {
    onEvent: (event) => {
      if (event.type === 'load.progress' && Number(event.rows) > 30_000 && !stopped) {
        stopped = true;
        execFileSync('bash', [SERVER_SCRIPT, 'kill', serverDir], { env });
      }
    },
  });
  assert.ok(stopped, `the load should have been under way: ${failed.stdout.slice(0, 3000)} ${failed.stderr}`);
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  const error = failed.events.find((e) => e.type === 'load.failed');
  assert.ok(error, failed.stdout);
  assert.match(String(error.message), /connection|ECONNREFUSED|socket|ClickHouse/i);

  // Wait for the old server to exit before starting it again on the same directory.
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('pgrep', ['-f', `${serverDir}/config.xml`]);
      await new Promise((r) => setTimeout(r, 200));
    } catch {
      break;
    }
  }
  start();
  const rerun = await runCli(['--config', config.file, '--json', 'ingest', 'orders']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  const warehouse = await openTestWarehouse(t, target);
  const { rows } = await warehouse.query<{ n: string }>('SELECT toString(count()) AS n FROM orders FINAL');
  assert.equal(Number(rows[0]!.n), 300_000);
  const loads = await listLoads(warehouse, { source: 'orders' });
  assert.deepEqual(loads.map((l) => l.status).sort(), ['failed', 'success']);
});
