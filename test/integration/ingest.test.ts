import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { DemaConfig } from '../../src/config/dema-config.ts';
import type { DemaError } from '../../src/errors.ts';
import type { DemaEvent } from '../../src/events.ts';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { openSource } from '../../src/ingest/open-source.ts';
import { listRejects } from '../../src/ingest/rejects.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import {
  openTestWarehouse,
  serverSkipReason,
  type Transport,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

// The server half is listed even with no server here, and shows as skipped (required under CI).
const serverSkip = await serverSkipReason();
const transports: Transport[] = ['embedded', 'server'];

async function count(warehouse: Warehouse, sql: string): Promise<number> {
  const { rows } = await warehouse.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

function collector() {
  const events: DemaEvent[] = [];
  return { events, reporter: { emit: (event: DemaEvent) => events.push(event) } };
}

async function setUp(t: TestContext, transport: Transport, lines: number, badRate = 0) {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: lines, styles: 60, badRate, seed: 7 });
  const config = writeProjectConfig(dir, testTarget(transport, dir));
  const warehouse = await openTestWarehouse(t, config.targets.test!);
  return { dir, config, warehouse };
}

const run = (
  config: DemaConfig,
  warehouse: Warehouse,
  extra: Partial<Parameters<typeof ingest>[2]> = {},
  reporter = collector().reporter,
) => ingest(config, warehouse, { only: [], locations: {}, force: false, ...extra }, reporter);

for (const transport of transports) {
  describe(`ingest: ${transport}`, { skip: transport === 'server' && serverSkip }, () => {
    test('loads files from disk; counts reconcile exactly; a second run is a no-op', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 5000);
      const outcomes = await run(config, warehouse);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['success', 'success'],
      );
      const fileLines = readFileSync(join(dir, 'orders.csv'), 'utf8').trimEnd().split('\n').length - 1;
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM orders'), fileLines);
      const loads = await listLoads(warehouse, { source: 'orders' });
      assert.equal(loads.length, 1);
      assert.equal(loads[0]!.rows_read, fileLines);
      assert.equal(loads[0]!.rows_loaded, fileLines);
      assert.equal(loads[0]!.rows_rejected, 0);
      assert.equal(loads[0]!.status, 'success');
      // Every landed row knows its line: lines 2..N+1, each once.
      const lines = await warehouse.query<{ lo: string; hi: string; u: string }>(
        'SELECT toString(min(_line)) AS lo, toString(max(_line)) AS hi, toString(uniqExact(_line)) AS u FROM orders',
      );
      assert.deepEqual(lines.rows[0], { lo: '2', hi: String(fileLines + 1), u: String(fileLines) });
      // The first data line landed exactly as written.
      const first = readFileSync(join(dir, 'orders.csv'), 'utf8').split('\n')[1]!.split(',');
      const row = await warehouse.query<Record<string, string>>('SELECT * FROM orders WHERE _line = 2');
      assert.equal(row.rows[0]!.orderId, first[0]);
      assert.equal(row.rows[0]!.amount, first[5]);
      assert.equal(row.rows[0]!.campaign, '');

      const again = await run(config, warehouse);
      assert.deepEqual(
        again.map((o) => o.status),
        ['skipped', 'skipped'],
      );
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM orders'), fileLines);
      assert.equal((await listLoads(warehouse, { source: 'orders' })).length, 1);
    });

    test('every row of a file of many blocks carries its own line number', async (t) => {
      // 150k lines: several insert blocks, sorted and written by parallel insert threads.
      const { config, warehouse, dir } = await setUp(t, transport, 150_000);
      await run(config, warehouse, { only: ['orders'] });
      const lines = readFileSync(join(dir, 'orders.csv'), 'utf8').trimEnd().split('\n');
      const { rows } = await warehouse.query<{
        l: string;
        orderId: string;
        productId: string;
        amount: string;
      }>('SELECT toString(_line) AS l, orderId, productId, amount FROM orders');
      assert.equal(rows.length, lines.length - 1);
      const wrong = rows.filter((row) => {
        const fields = lines[Number(row.l) - 1]!.split(',');
        return fields[0] !== row.orderId || fields[1] !== row.productId || fields[5] !== row.amount;
      });
      assert.deepEqual(wrong.slice(0, 3), []);
    });

    test('a quoted field spanning lines keeps every row on its physical line', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 10);
      const header = readFileSync(join(dir, 'orders.csv'), 'utf8').split('\n')[0];
      const row = (id: string, campaign: string) =>
        `${id},prod1#prod2,SEK,1,0,10.5,direct,direct,"${campaign}",2023-01-01T00:00:00Z`;
      writeFileSync(
        join(dir, 'orders.csv'),
        `${header}\n${[row('a', ''), row('b', 'two\nlines'), row('c', 'x')].join('\n')}\n`,
      );
      await run(config, warehouse);
      const rows = await warehouse.query<{ orderId: string; _line: string; campaign: string }>(
        'SELECT orderId, toString(_line) AS _line, campaign FROM orders ORDER BY orderId',
      );
      assert.deepEqual(
        rows.rows.map((r) => [r.orderId, r._line, r.campaign]),
        [
          ['a', '2', ''],
          ['b', '3', 'two\nlines'],
          ['c', '5', 'x'],
        ],
      );
    });

    test('a changed file leaves no duplicate natural keys visible through FINAL', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 3000);
      await run(config, warehouse);
      const path = join(dir, 'orders.csv');
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      // Restate every amount of the first 100 lines, and add 10 new lines.
      const restate = (line: string) =>
        line
          .split(',')
          .map((field, i) => (i === 5 ? '1.5' : field))
          .join(',');
      const changed = lines.map((line, i) => (i >= 1 && i <= 100 ? restate(line) : line));
      const added = Array.from({ length: 10 }, (_, i) =>
        lines[1]!.replace(/^[^,]+/, `00000000-0000-3000-8000-${String(i).padStart(12, '0')}`),
      );
      writeFileSync(path, `${[...changed, ...added].join('\n')}\n`);
      const outcomes = await run(config, warehouse, { only: ['orders'] });
      assert.equal(outcomes[0]!.status, 'success');
      const keys = 'orderId, productId, dateTime';
      const distinct = await count(
        warehouse,
        `SELECT count() AS n FROM (SELECT DISTINCT ${keys} FROM orders)`,
      );
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM orders FINAL'), distinct);
      assert.equal(distinct, lines.length - 1 + 10);
      assert.equal(
        await count(
          warehouse,
          `SELECT count() AS n FROM (SELECT ${keys}, count() AS c FROM orders FINAL GROUP BY ${keys} HAVING c > 1)`,
        ),
        0,
      );
      assert.equal(await count(warehouse, "SELECT count() AS n FROM orders FINAL WHERE amount = '1.5'"), 100);
    });

    test('a file of the same size with other bytes is loaded again: the hash decides, not the size', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 500);
      await run(config, warehouse, { only: ['orders'] });
      const path = join(dir, 'orders.csv');
      const before = readFileSync(path, 'utf8');
      // One amount restated with the same number of characters.
      const [header, first, ...rest] = before.split('\n');
      const fields = first!.split(',');
      fields[5] = fields[5]!.replace(/\d/, (d) => String((Number(d) + 1) % 10));
      writeFileSync(path, [header, fields.join(','), ...rest].join('\n'));
      assert.equal(readFileSync(path).length, Buffer.byteLength(before));
      const outcomes = await run(config, warehouse, { only: ['orders'] });
      assert.equal(outcomes[0]!.status, 'success');
      const loads = await listLoads(warehouse, { source: 'orders', status: 'success' });
      assert.equal(loads.length, 2);
      assert.notEqual(loads[0]!.sha256, loads[1]!.sha256);
      assert.ok(loads.every((load) => load.sha256.length === 64 && load.archive_path.endsWith('orders.csv')));
    });

    test('a dirty file: every bad row is in rejects with its line and reason; good rows load', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 4000, 0.02);
      const outcomes = await run({ ...config, max_reject_ratio: 0.1 }, warehouse, { only: ['orders'] });
      assert.equal(outcomes[0]!.status, 'success');
      const text = readFileSync(join(dir, 'orders.csv'));
      const fileLines = text.toString('latin1').trimEnd().split('\n').length - 1;
      const load = (await listLoads(warehouse, { source: 'orders' }))[0]!;
      assert.equal(load.rows_read, fileLines);
      assert.equal(load.rows_loaded + load.rows_rejected, load.rows_read);
      assert.ok(load.rows_rejected > 40, `expected many rejects, got ${load.rows_rejected}`);
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM orders'), load.rows_loaded);
      const rejects = await listRejects(warehouse, load.load_id, 100_000);
      assert.equal(rejects.length, load.rows_rejected);
      const physical = text.toString('latin1').split('\n');
      for (const reject of rejects) {
        assert.match(reject.reason, /fields|quoting|UTF-8/);
        assert.equal(
          reject.raw.slice(0, 8),
          Buffer.from(physical[reject.line - 1]!, 'latin1')
            .toString('utf8')
            .slice(0, 8),
          `line ${reject.line}`,
        );
      }
      // No rejected line landed.
      const landedLines = new Set(
        (await warehouse.query<{ l: string }>('SELECT toString(_line) AS l FROM orders')).rows.map((r) =>
          Number(r.l),
        ),
      );
      assert.ok(rejects.every((r) => !landedLines.has(r.line)));
    });

    test('over the error budget nothing lands and the ledger says why', async (t) => {
      const { config, warehouse } = await setUp(t, transport, 2000, 0.05);
      const outcomes = await run({ ...config, max_rejects: 3 }, warehouse, { only: ['orders'] });
      assert.equal(outcomes[0]!.status, 'failed');
      assert.equal(outcomes[0]!.status === 'failed' && outcomes[0]!.error.code, 'INGEST_ERROR_BUDGET');
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM orders'), 0);
      const load = (await listLoads(warehouse, { source: 'orders' }))[0]!;
      assert.equal(load.status, 'failed');
      assert.match(load.error, /error budget/);
      assert.equal(
        (await warehouse.listTables(warehouse.database)).filter((x) => x.name.startsWith('_dema_stage_'))
          .length,
        0,
      );
    });

    test('a wrong header is reported as expected-vs-found and nothing loads', async (t) => {
      const { config, warehouse, dir } = await setUp(t, transport, 100);
      const path = join(dir, 'inventory.csv');
      const text = readFileSync(path, 'utf8').replace(
        'productId,name,quantity,category,subCategory',
        'productId,name,category,quantity,subCategory',
      );
      writeFileSync(path, text);
      const [outcome] = await run(config, warehouse, { only: ['inventory'] });
      assert.equal(outcome!.status, 'failed');
      if (outcome!.status !== 'failed') return;
      assert.equal(outcome!.error.code, 'INGEST_HEADER');
      assert.match(outcome!.error.message, /inventory\.csv:1/);
      assert.match(outcome!.error.message, /expected: productId,name,quantity,category,subCategory/);
      assert.match(outcome!.error.message, /found: {4}productId,name,category,quantity,subCategory/);
      assert.match(outcome!.error.message, /different order/);
      assert.equal(await count(warehouse, 'SELECT count() AS n FROM inventory'), 0);
    });
  });
}

test('a local file that changes while it is read is refused, naming the file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'orders.csv');
  writeFileSync(path, 'a,b\n1,2\n');
  const file = await openSource({
    source: 'orders',
    merchant: 'default',
    location: path,
    archiveDir: join(dir, 'archive'),
    reporter: collector().reporter,
  });
  await file.archived;
  appendFileSync(path, '3,4\n');
  await assert.rejects(file.settled(), (error: DemaError) => {
    assert.equal(error.code, 'INGEST_SOURCE_CHANGED');
    assert.match(error.message, /orders\.csv changed while it was being loaded/);
    return true;
  });
});
