import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../src/csv-text.ts';
import { runCli } from '../helpers/cli.ts';
import { expectedMarts, groupText, type MerchantFiles, toScaled } from '../helpers/expected-marts.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { writeMultiMerchantProject } from '../helpers/multi-merchant.ts';
import { commandStore, queryStore } from '../helpers/store.ts';

const _PROJECT = fileURLToPath(new URL('../../project', import.meta.url));

interface FinanceRow {
  merchant: string;
  month: string;
  currency: string;
  category: string;
  sub_category: string;
  orders: string;
  order_lines: string;
  units_ordered: string;
  shipping: string;
  revenue: string;
}

async function martTexts(store: string) {
  const finance = await queryStore<FinanceRow>(
    store,
    'dema',
    'select merchant, toString(month_start) as month, currency, category, sub_category, orders, order_lines, units_ordered, toString(shipping) as shipping, toString(revenue) as revenue from mart_finance__orders_per_month',
  );
  const marketing = await queryStore<
    FinanceRow & { channel: string; channel_group: string; campaign: string | null }
  >(
    store,
    'dema',
    'select merchant, toString(month_start) as month, currency, channel, channel_group, campaign, orders, order_lines, units_ordered, toString(revenue) as revenue from mart_marketing__campaign_per_month',
  );
  return {
    finance: new Map(
      finance.map((r) => [
        [r.merchant, r.month, r.currency, r.category, r.sub_category].join('|'),
        [r.orders, r.order_lines, r.units_ordered, toScaled(r.shipping), toScaled(r.revenue)].join(' '),
      ]),
    ),
    marketing: new Map(
      marketing.map((r) => [
        [r.merchant, r.month, r.currency, r.channel, r.channel_group, r.campaign ?? '\\N'].join('|'),
        [r.orders, r.order_lines, r.units_ordered, toScaled(r.revenue)].join(' '),
      ]),
    ),
  };
}

function assertReconciles(actual: Awaited<ReturnType<typeof martTexts>>, files: readonly MerchantFiles[]) {
  const expected = expectedMarts(files);
  const finance = new Map([...expected.finance].map(([key, group]) => [key, groupText(group, true)]));
  const marketing = new Map([...expected.marketing].map(([key, group]) => [key, groupText(group, false)]));
  assert.deepEqual(new Map([...actual.finance].sort()), new Map([...finance].sort()));
  assert.deepEqual(new Map([...actual.marketing].sort()), new Map([...marketing].sort()));
}

test('the dema project builds green and its marts reconcile exactly with the CSVs; incremental equals full refresh', async (t) => {
  const dir = tempDir(t);
  const merchants = await writeMultiMerchantProject(dir, { orderLines: 6000, styles: 120, orphanRate: 0.02 });
  const store = join(dir, '.dema/warehouse');
  const files: MerchantFiles[] = merchants.map((m) => ({
    merchant: m.merchant,
    inventory: [m.inventoryPath],
    orders: [m.ordersPath],
  }));

  const pipeline = await runCli(['pipeline'], { cwd: dir });
  assert.equal(pipeline.code, 0, pipeline.stdout + pipeline.stderr);
  assert.match(pipeline.stdout, /^ {2}models \d+ \(pass \d+, warn 0, error 0, skip 0\)$/m);
  assert.match(
    pipeline.stdout,
    /^ {2}tests {2}\d+ \(pass \d+, warn 1, error 0, skip 0\)$/m,
    'only the orphan warning',
  );
  assert.match(pipeline.stdout, /WARN +test relationships_per_merchant_stg_landing__orders_product_id/);
  const initial = await martTexts(store);
  assert.ok(initial.finance.size > 50 && initial.marketing.size > 100, 'the marts have data');
  assertReconciles(initial, files);
  const orphans = await queryStore<{ n: string }>(
    store,
    'dema',
    'select count() as n from int_order_lines where not product_found',
  );
  assert.ok(Number(orphans[0]!.n) > 0, 'orphan lines are kept, not dropped');

  // Late-arriving lines for an early month, plus corrected amounts for lines already loaded.
  const first = merchants[0]!;
  const [header, ...loaded] = parseCsv(readFileSync(first.ordersPath, 'utf8')).filter(
    (row) => row.length > 1,
  );
  const products = parseCsv(readFileSync(first.inventoryPath, 'utf8'))
    .slice(1, 21)
    .map((row) => row[0]!);
  const late = products.map(
    (product, i) =>
      `late-${String(i).padStart(4, '0')},${product},SEK,${(i % 3) + 1},0,${100 + i}.125,direct,direct,"",2023-01-0${(i % 9) + 1}T10:00:00Z`,
  );
  const corrected = loaded.slice(0, 30).map((row) => {
    const copy = [...row];
    copy[5] = '99999.999';
    return copy.map((field, i) => (i === 8 ? `"${field}"` : field)).join(',');
  });
  const latePath = join(dir, 'data/late-orders.csv');
  writeFileSync(latePath, `${header!.join(',')}\n${[...late, ...corrected].join('\n')}\n`);
  files[0] = { ...files[0]!, orders: [first.ordersPath, latePath] };

  const ingest = await runCli(
    ['ingest', `orders_${first.merchant}`, '--location', `orders_${first.merchant}=${latePath}`],
    { cwd: dir },
  );
  assert.equal(ingest.code, 0, ingest.stderr);
  const incremental = await runCli(['build', '--project-dir', 'project'], { cwd: dir });
  assert.equal(incremental.code, 0, incremental.stdout);
  const afterIncremental = await martTexts(store);
  assert.notDeepEqual(afterIncremental, initial, 'the late and corrected lines changed the marts');
  assertReconciles(afterIncremental, files);

  // Late-arriving and corrected inventory: renamed categories, and products orphaned lines waited for.
  const [inventoryHeader, ...inventory] = parseCsv(readFileSync(first.inventoryPath, 'utf8')).filter(
    (row) => row.length > 1,
  );
  const known = new Set(inventory.map((row) => row[0]));
  const waitedFor = [...new Set(loaded.map((row) => row[1]!).filter((id) => !known.has(id)))].slice(0, 5);
  assert.ok(waitedFor.length > 0, 'the generated orders have orphans');
  const csvRow = (row: string[]) => row.map((field) => `"${field.replace(/"/g, '""')}"`).join(',');
  const updatedInventory = [
    ...inventory.map((row, i) => (i < 5 ? [row[0]!, row[1]!, row[2]!, 'Renamed', 'Renamed sub'] : row)),
    ...waitedFor.map((id) => [id, 'Found later', '1', 'Recovered', 'Recovered sub']),
  ];
  const inventoryPath = join(dir, 'data/late-inventory.csv');
  writeFileSync(inventoryPath, `${inventoryHeader!.join(',')}\n${updatedInventory.map(csvRow).join('\n')}\n`);
  files[0] = { ...files[0]!, inventory: [first.inventoryPath, inventoryPath] };
  const inventoryIngest = await runCli(
    ['ingest', `inventory_${first.merchant}`, '--location', `inventory_${first.merchant}=${inventoryPath}`],
    { cwd: dir },
  );
  assert.equal(inventoryIngest.code, 0, inventoryIngest.stderr);
  const afterInventory = await runCli(['build', '--project-dir', 'project'], { cwd: dir });
  assert.equal(afterInventory.code, 0, afterInventory.stdout);
  const afterInventoryMarts = await martTexts(store);
  assertReconciles(afterInventoryMarts, files);
  assert.ok([...afterInventoryMarts.finance.keys()].some((key) => key.includes('|Recovered|')));

  // The same 30 lines corrected again, plus new late lines, taken as a large batch (FINAL, not a sort).
  const again = [
    ...loaded.slice(0, 30).map((row) => {
      const copy = [...row];
      copy[5] = '77777.777';
      return copy.map((field, i) => (i === 8 ? `"${field}"` : field)).join(',');
    }),
    ...late.map((line) => line.replace(/^late-/, 'later-')),
  ];
  const againPath = join(dir, 'data/again-orders.csv');
  writeFileSync(againPath, `${header!.join(',')}\n${again.join('\n')}\n`);
  files[0] = { ...files[0]!, orders: [...files[0]!.orders, againPath] };
  const againIngest = await runCli(
    ['ingest', `orders_${first.merchant}`, '--location', `orders_${first.merchant}=${againPath}`],
    { cwd: dir },
  );
  assert.equal(againIngest.code, 0, againIngest.stderr);
  const large = await runCli(['build', '--project-dir', 'project', '--vars', '{large_batch_share: 0}'], {
    cwd: dir,
  });
  assert.equal(large.code, 0, large.stdout);
  const compiledStg = readFileSync(
    join(dir, 'project/target/compiled/dema/models/staging/stg_landing__orders.sql'),
    'utf8',
  );
  assert.match(compiledStg, /\bfinal\b/, 'the large-batch path ran');
  const afterLarge = await martTexts(store);
  assertReconciles(afterLarge, files);

  const full = await runCli(['build', '--full-refresh', '--project-dir', 'project'], { cwd: dir });
  assert.equal(full.code, 0, full.stdout);
  assert.deepEqual(await martTexts(store), afterLarge, 'the incremental runs equal a full refresh');

  const rerun = await runCli(['build', '--project-dir', 'project'], { cwd: dir });
  assert.equal(rerun.code, 0, rerun.stdout);
  assert.deepEqual(await martTexts(store), afterLarge, 'a re-run changes nothing');
  assert.match(rerun.stdout, /OK 0 in .*\n?/, 'nothing new to process');

  // The key test is not vacuous: a duplicated line (written as a later batch) fails it.
  await commandStore(
    store,
    'dema',
    "insert into stg_landing__orders select * replace (now64(3, 'UTC') + 1 as built_at) from stg_landing__orders limit 1",
  );
  const duplicated = await runCli(
    ['test', '--project-dir', 'project', '--select', 'stg_landing__orders', '--json'],
    { cwd: dir },
  );
  assert.equal(duplicated.code, 1);
  const failed = duplicated.events
    .filter((e) => e.type === 'dbt.node.done' && e.status === 'fail')
    .map((e) => String(e.uniqueId).split('.')[2]);
  assert.ok(
    failed.some((name) => name?.startsWith('unique_key_stg_landing__orders')),
    failed.join(', '),
  );
});
