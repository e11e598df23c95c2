import { ClickHouseError } from '../warehouse/clickhouse-error.ts';
import { bindParams, type SqlValue } from '../warehouse/sql.ts';
import type { ReadonlyEngine } from './engine.ts';

export const FINANCE = 'mart_finance__orders_per_month';
export const MARKETING = 'mart_marketing__campaign_per_month';

/** A request the API refuses (bad filter, unknown id): answered with `status` and the message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * A warehouse where the marts were never built (serve started before the first pipeline): what to
 * run, rather than ClickHouse's UNKNOWN_TABLE. Anything else is returned as it is.
 */
export function explainMissingMarts(error: unknown): unknown {
  const unknownTable =
    error instanceof ClickHouseError &&
    (error.clickhouseCode === 60 || error.clickhouseType === 'UNKNOWN_TABLE');
  if (!unknownTable || (!error.message.includes(FINANCE) && !error.message.includes(MARKETING))) return error;
  return new ApiError(
    'The marts are not built yet: run `dema pipeline` (on an embedded warehouse stop serve first, it owns the warehouse), then start serve again.',
    503,
  );
}

export interface Filters {
  readonly merchant?: string;
  readonly currency: string;
  readonly from?: string;
  readonly to?: string;
  readonly category?: string;
  readonly channel?: string;
}

const MONTH = /^\d{4}-\d{2}(-\d{2})?$/;

/** Reads the filters from the URL. A currency is required: amounts are never summed across currencies. */
export function parseFilters(params: URLSearchParams): Filters {
  const get = (key: string) => params.get(key) || undefined;
  const currency = get('currency');
  if (!currency) throw new ApiError('currency is required: amounts are never summed across currencies');
  for (const key of ['from', 'to']) {
    const value = get(key);
    if (value !== undefined && !MONTH.test(value)) throw new ApiError(`${key} must be YYYY-MM or YYYY-MM-DD`);
  }
  const month = (value: string | undefined) => (value && value.length === 7 ? `${value}-01` : value);
  return {
    currency,
    merchant: get('merchant'),
    from: month(get('from')),
    to: month(get('to')),
    category: get('category'),
    channel: get('channel'),
  };
}

/**
 * The WHERE clause for the filters that apply to a mart. Column names are fixed here; every value
 * is a placeholder that `bindParams` renders as an escaped literal — user text never meets SQL raw.
 */
function where(filters: Filters, columns: { category?: boolean; channel?: boolean }): string {
  const parts = ['currency = {currency}'];
  if (filters.merchant !== undefined) parts.push('merchant = {merchant}');
  if (filters.from !== undefined) parts.push('month_start >= toDate({from})');
  if (filters.to !== undefined) parts.push('month_start <= toDate({to})');
  if (columns.category && filters.category !== undefined) parts.push('category = {category}');
  if (columns.channel && filters.channel !== undefined) parts.push('channel = {channel}');
  return `WHERE ${parts.join(' AND ')}`;
}

function bound(sql: string, filters: Filters): string {
  const params: Record<string, SqlValue> = {};
  for (const [key, value] of Object.entries(filters)) if (value !== undefined) params[key] = value;
  return bindParams(sql, params);
}

/** What the filter controls offer: merchants with their currencies, categories, channels, months. */
export async function filterOptions(engine: ReadonlyEngine) {
  const [pairs, categories, channels, months] = await Promise.all([
    engine.rows<{ merchant: string; currency: string }>(
      `SELECT DISTINCT merchant, currency FROM ${FINANCE} ORDER BY merchant, currency`,
    ),
    engine.rows<{ category: string }>(`SELECT DISTINCT category FROM ${FINANCE} ORDER BY category`),
    engine.rows<{ channel: string }>(`SELECT DISTINCT channel FROM ${MARKETING} ORDER BY channel`),
    engine.rows<{ first: string; last: string }>(
      `SELECT toString(min(month_start)) AS first, toString(max(month_start)) AS last FROM ${FINANCE}`,
    ),
  ]);
  return {
    merchants: [...new Set(pairs.map((p) => p.merchant))],
    currencies: pairs,
    categories: categories.map((c) => c.category),
    channels: channels.map((c) => c.channel),
    months: months[0] ?? { first: '', last: '' },
  };
}

/**
 * Finance: per month, per category, and the month × category × sub-category table. Sums stay within
 * one currency. `orders` (distinct orders) is only additive across merchants: one order spans
 * categories and sub-categories, so it is shown at the mart's own grain (the table) and never summed
 * over categories or sub-categories (by month, by category).
 */
export async function financeData(engine: ReadonlyEngine, filters: Filters) {
  const filter = where(filters, { category: true });
  const additive =
    'sum(order_lines) AS order_lines, sum(units_ordered) AS units, toString(sum(shipping)) AS shipping, toString(sum(revenue)) AS revenue';
  const [byMonth, byCategory, table] = await Promise.all([
    engine.rows(
      bound(
        `SELECT toString(month_start) AS month, sum(units_ordered) AS units, toString(sum(shipping)) AS shipping, toString(sum(revenue)) AS revenue FROM ${FINANCE} ${filter} GROUP BY month ORDER BY month`,
        filters,
      ),
    ),
    engine.rows(
      bound(
        `SELECT category, ${additive} FROM ${FINANCE} ${filter} GROUP BY category ORDER BY category`,
        filters,
      ),
    ),
    engine.rows(
      bound(
        `SELECT toString(month_start) AS month, category, sub_category, sum(orders) AS orders, ${additive} FROM ${FINANCE} ${filter} GROUP BY month, category, sub_category ORDER BY month, category, sub_category`,
        filters,
      ),
    ),
  ]);
  return { byMonth, byCategory, table };
}

/** Marketing: orders and revenue by month, channel, channel group and campaign (top 15 by revenue). */
export async function marketingData(engine: ReadonlyEngine, filters: Filters) {
  const filter = where(filters, { channel: true });
  // Aggregated under other names first: an alias `revenue` would shadow the column in sum(revenue).
  const by = (column: string, order = 'key', limit = '') =>
    engine.rows(
      bound(
        `SELECT key, orders, toString(revenue_sum) AS revenue FROM (SELECT ${column} AS key, sum(orders) AS orders, sum(revenue) AS revenue_sum FROM ${MARKETING} ${filter} GROUP BY key) ORDER BY ${order}${limit}`,
        filters,
      ),
    );
  const [byMonth, byChannel, byChannelGroup, byCampaign] = await Promise.all([
    by('toString(month_start)'),
    by('channel'),
    by('channel_group'),
    by("ifNull(campaign, '(none)')", 'revenue_sum DESC, key', ' LIMIT 15'),
  ]);
  return { byMonth, byChannel, byChannelGroup, byCampaign };
}
