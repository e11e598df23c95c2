import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { builtProject, demaQuery, startServe } from '../helpers/serve.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const FINANCE = 'mart_finance__orders_per_month';
const MARKETING = 'mart_marketing__campaign_per_month';
type Row = Record<string, string | number>;

async function oracle(dir: string, sql: string): Promise<Row[]> {
  const text = await demaQuery(dir, sql, 'json');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
}

/** `key=value` of every bar or point of a chart, as the page drew them. */
function chart(page: Page, id: string): Promise<string[]> {
  return page
    .locator(`#${id} [data-value]`)
    .evaluateAll((nodes) =>
      nodes.map((n) => `${n.getAttribute('data-key')}=${n.getAttribute('data-value')}`),
    );
}

function expected(rows: Row[], key: string, measure: string): string[] {
  return rows.map((row) => `${row[key]}=${row[measure]}`);
}

/** The totals table, row by row: month, category, then the measures' exact values. */
function table(page: Page): Promise<string[]> {
  return page
    .locator('#finance-table tr.row')
    .evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.getAttribute('data-value')).join('|')),
    );
}

const TABLE_COLUMNS = [
  'month',
  'category',
  'sub_category',
  'orders',
  'order_lines',
  'units',
  'shipping',
  'revenue',
];

async function ready(page: Page, merchant: string, currency: string): Promise<void> {
  await page.waitForFunction(
    ([m, c]) => {
      const state = JSON.parse(document.body.getAttribute('data-ready') ?? '{}') as Record<string, string>;
      return state.merchant === m && state.currency === c;
    },
    [merchant, currency],
  );
}

test('the dashboard draws exactly the marts, per currency, and follows the merchant and currency filters', async (t) => {
  const dir = await builtProject(t);
  const measures = `sum(orders) AS orders, sum(order_lines) AS order_lines, sum(units_ordered) AS units, toString(sum(shipping)) AS shipping, toString(sum(revenue)) AS revenue`;
  // The oracle: the marts queried directly through `dema query`, before serve takes the warehouse.
  const byMonth = await oracle(
    dir,
    `SELECT merchant, currency, toString(month_start) AS month, ${measures} FROM ${FINANCE} GROUP BY merchant, currency, month ORDER BY merchant, currency, month`,
  );
  const byMonthAll = await oracle(
    dir,
    `SELECT currency, toString(month_start) AS month, ${measures} FROM ${FINANCE} GROUP BY currency, month ORDER BY currency, month`,
  );
  const tableAll = await oracle(
    dir,
    `SELECT currency, toString(month_start) AS month, category, sub_category, ${measures} FROM ${FINANCE} GROUP BY currency, month, category, sub_category ORDER BY currency, month, category, sub_category`,
  );
  const tableMerchant = await oracle(
    dir,
    `SELECT merchant, currency, toString(month_start) AS month, category, sub_category, ${measures} FROM ${FINANCE} GROUP BY merchant, currency, month, category, sub_category ORDER BY merchant, currency, month, category, sub_category`,
  );
  // Orders are distinct orders: the table's must be the order lines' own count (an order spans
  // categories and sub-categories, so a sum over either would count it twice).
  const distinctOrders = await oracle(
    dir,
    `SELECT currency, toString(toStartOfMonth(ordered_at)) AS month, category, sub_category, uniqExact(merchant, order_id, ordered_at) AS orders FROM int_order_lines GROUP BY currency, month, category, sub_category ORDER BY currency, month, category, sub_category`,
  );
  const channels = await oracle(
    dir,
    `SELECT merchant, currency, channel, sum(orders) AS orders, toString(sum(revenue)) AS revenue FROM ${MARKETING} GROUP BY merchant, currency, channel ORDER BY merchant, currency, channel`,
  );
  const currencies = [...new Set(byMonthAll.map((r) => String(r.currency)))].sort();
  assert.deepEqual(currencies, ['EUR', 'SEK'], 'the sample has two currencies');

  // On loopback the token is optional, but checked when set: the page must carry it on every call.
  const token = 'page-token';
  const { url } = await startServe(t, dir, ['--port', '0', '--token', token]);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (request) => errors.push(`${request.url()} failed`));
  mkdirSync(ARTIFACTS, { recursive: true });

  // Default view: all merchants, the first currency; nothing summed across currencies.
  assert.equal((await page.goto(`${url}/dashboard`))?.status(), 401);
  await page.goto(`${url}/?token=${token}`);
  const first = currencies[0] as string;
  await ready(page, '', first);
  const all = byMonthAll.filter((r) => r.currency === first);
  assert.deepEqual(await chart(page, 'chart-revenue-month'), expected(all, 'month', 'revenue'));
  assert.deepEqual(await chart(page, 'chart-units-month'), expected(all, 'month', 'units'));
  assert.deepEqual(await chart(page, 'chart-shipping-month'), expected(all, 'month', 'shipping'));
  const rowText = (r: Row) => TABLE_COLUMNS.map((c) => String(r[c])).join('|');
  assert.deepEqual(await table(page), tableAll.filter((r) => r.currency === first).map(rowText));
  const ordersShown = (await table(page)).map((row) => row.split('|').slice(0, 4).join('|'));
  const ordersKey = (r: Row) => [r.month, r.category, r.sub_category, r.orders].map(String).join('|');
  assert.deepEqual(ordersShown, distinctOrders.filter((r) => r.currency === first).map(ordersKey));
  await page.screenshot({ path: `${ARTIFACTS}dashboard-all.png`, fullPage: true });

  // Filter: the second merchant, in SEK.
  const merchant = [...new Set(byMonth.map((r) => String(r.merchant)))].sort()[1] as string;
  await page.selectOption('#merchant', merchant);
  await page.selectOption('#currency', 'SEK');
  await ready(page, merchant, 'SEK');
  const mine = (r: Row) => r.merchant === merchant && r.currency === 'SEK';
  assert.deepEqual(
    await chart(page, 'chart-revenue-month'),
    expected(byMonth.filter(mine), 'month', 'revenue'),
  );
  assert.deepEqual(
    await chart(page, 'chart-revenue-channel'),
    expected(channels.filter(mine), 'channel', 'revenue'),
  );
  assert.deepEqual(
    await chart(page, 'chart-orders-channel'),
    expected(channels.filter(mine), 'channel', 'orders'),
  );
  assert.deepEqual(await table(page), tableMerchant.filter(mine).map(rowText));
  assert.match((await page.textContent('#status')) ?? '', new RegExp(`Amounts in SEK for ${merchant}`));
  assert.ok(page.url().includes(`merchant=${merchant}`), 'the filters are kept in the URL');
  assert.ok(page.url().includes(`token=${token}`), 'and so is the token');
  await page.screenshot({ path: `${ARTIFACTS}dashboard-merchant-sek.png`, fullPage: true });
  assert.deepEqual(errors, []);
});
