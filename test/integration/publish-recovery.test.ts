import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connectForCommand } from '../../src/cli/context.ts';
import type { TargetConfig } from '../../src/config/dema-config.ts';
import { silentReporter } from '../../src/events.ts';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { runCli } from '../helpers/cli.ts';
import {
  serverAvailable,
  type Transport,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

/**
 * Recovery from the states a kill mid-ATTACH leaves, built exactly: part of a load's rows already
 * in landing, and merged there with an older version of the same keys (ReplacingMergeTree does this
 * in the background at any time). Rolling forward must end as if the ATTACH had never been cut.
 */

const LINES = 2000;

async function withWarehouse<T>(target: TargetConfig, work: (w: Warehouse) => Promise<T>, recover = false) {
  const warehouse = recover
    ? await connectForCommand(target, {}, silentReporter)
    : await connectWarehouse(target);
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

async function count(warehouse: Warehouse, sql: string): Promise<number> {
  const { rows } = await warehouse.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${sql}`);
  return Number(rows[0]!.n);
}

async function setup(t: TestContext, transport: Transport) {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: LINES, styles: 40 });
  const target = testTarget(transport, dir);
  const config = writeProjectConfig(dir, target);
  t.after(async () => {
    if (target.type === 'clickhouse')
      await withWarehouse(target, (w) => w.command(`DROP DATABASE IF EXISTS ${quoteIdent(target.schema)}`));
  });
  const ingest = (file: string, kill?: string) =>
    runCli(['--config', config.file, 'ingest', 'orders', '--location', `orders=${file}`], {
      env: kill ? { DEMA_TEST_KILL_AT: kill } : {},
    });
  return { dir, target, ingest };
}

async function stageOf(warehouse: Warehouse): Promise<string> {
  const stages = (await warehouse.listTables(warehouse.database)).filter((t) =>
    t.name.startsWith('_dema_stage_'),
  );
  assert.equal(stages.length, 1);
  return quoteIdent(stages[0]!.name);
}

for (const transport of ['embedded', 'server'] as const) {
  test(`${transport}: a load cut mid-ATTACH and merged with older rows is rolled forward to exactly the full load`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const { dir, target, ingest } = await setup(t, transport);
    assert.equal((await ingest(join(dir, 'orders.csv'))).code, 0);
    // The same keys with another quantity: a correction of every line.
    const corrected = join(dir, 'orders-corrected.csv');
    writeFileSync(
      corrected,
      readFileSync(join(dir, 'orders.csv'), 'utf8').replace(/^([^,\n]*,[^,\n]*,[^,\n]*,)\d+/gm, (_m, head) =>
        head === 'orderId,productId,currency,' ? _m : `${head}9999`,
      ),
    );
    const killed = await ingest(corrected, 'publish.committed');
    assert.equal(killed.signal, 'SIGKILL');
    const keys = await withWarehouse(target, async (w) => {
      const stage = await stageOf(w);
      // What a cut ATTACH leaves: some of the load's parts in landing; then a merge replaces the older rows.
      await w.command(`INSERT INTO orders SELECT * FROM ${stage} WHERE _line % 2 = 0`);
      await w.command('OPTIMIZE TABLE orders FINAL');
      const older = await count(w, `orders WHERE quantity != '9999'`);
      assert.ok(
        older < LINES,
        'the merge dropped older rows: undoing the partial load could not restore them',
      );
      return count(w, '(SELECT DISTINCT orderId, productId, dateTime FROM orders)');
    });
    await withWarehouse(
      target,
      async (w) => {
        const [load] = await listLoads(w, { status: 'success' }).then((l) =>
          l.filter((x) => x.location === corrected),
        );
        assert.ok(load, 'the committed load is completed');
        assert.equal(await count(w, `orders WHERE _load_id = '${load.load_id}'`), LINES, 'exactly one copy');
        assert.equal(await count(w, 'orders FINAL'), keys);
        assert.equal(
          await count(w, `orders FINAL WHERE quantity != '9999'`),
          0,
          'every key has the new version',
        );
        assert.equal((await listLoads(w, { status: ['running', 'publishing'] })).length, 0);
      },
      true,
    );
  });

  test(`${transport}: an uncommitted load with rows in landing (an older dema's cut ATTACH) is undone`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const { dir, target, ingest } = await setup(t, transport);
    const killed = await ingest(join(dir, 'orders.csv'), 'stage.loaded');
    assert.equal(killed.signal, 'SIGKILL');
    await withWarehouse(target, async (w) => {
      const stage = await stageOf(w);
      await w.command(`INSERT INTO orders SELECT * FROM ${stage} WHERE _line % 3 = 0`);
    });
    await withWarehouse(
      target,
      async (w) => {
        assert.equal(await count(w, 'orders'), 0);
        const loads = await listLoads(w, {});
        assert.deepEqual(
          loads.map((l) => [l.status, l.error]),
          [['failed', 'interrupted: the loading process ended before the load finished']],
        );
        assert.equal(
          (await w.listTables(w.database)).filter((x) => x.name.startsWith('_dema_stage_')).length,
          0,
        );
      },
      true,
    );
    const rerun = await ingest(join(dir, 'orders.csv'));
    assert.equal(rerun.code, 0, rerun.stderr);
    await withWarehouse(target, async (w) => assert.equal(await count(w, 'orders'), LINES), true);
  });
}
