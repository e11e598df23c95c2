import type { RunSummary } from '../dbt/run/results.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { MartTable } from './report.ts';

/**
 * The latest month of the dema project's two marts, for the pipeline report. Another project (whose
 * run built no such model) gets no section. Money is never summed across currencies: every row is
 * one currency. Orders are summed only where an order cannot be counted twice: across merchants
 * (order ids are per merchant) and across campaigns of a channel (an order has one campaign); the
 * finance rows stay at the mart's category × sub-category grain for that reason. Aggregates get
 * names no column has: the warehouse session may read names as columns first (standard SQL's
 * prefer_column_name_to_alias), and ClickHouse's default as aliases first; these queries mean the
 * same under both.
 */
type Row = Record<string, string | number>;

const ROWS = 6;

/** The top rows of each currency (rows come ordered by currency, then revenue), ~ROWS in all. */
function topPerCurrency<T extends Row>(rows: readonly T[]): T[] {
  const currencies = new Set(rows.map((r) => r.currency)).size;
  const top = Math.max(2, Math.floor(ROWS / Math.max(1, currencies)));
  const seen = new Map<unknown, number>();
  return rows.filter((r) => {
    const n = (seen.get(r.currency) ?? 0) + 1;
    seen.set(r.currency, n);
    return n <= top;
  });
}

function relationOf(summary: RunSummary, model: string): string | undefined {
  const result = summary.results.find(
    (r) => r.resourceType === 'model' && r.name === model && r.status === 'success',
  );
  return result?.relationName;
}

async function latestMonth(warehouse: Warehouse, relation: string): Promise<string | undefined> {
  const { rows } = await warehouse.query<{ m: string; n: number | string }>(
    `SELECT toString(max(month_start)) AS m, count() AS n FROM ${relation}`,
  );
  return rows[0] && Number(rows[0].n) > 0 ? rows[0].m : undefined;
}

async function finance(warehouse: Warehouse, relation: string): Promise<MartTable | undefined> {
  const month = await latestMonth(warehouse, relation);
  if (!month) return undefined;
  const { rows } = await warehouse.query<Row>(
    `SELECT currency, category, sub_category, round(sum(revenue), 2) AS revenue_total,
            toUInt64(sum(orders)) AS orders_total, toInt64(sum(units_ordered)) AS units
     FROM ${relation} WHERE toString(month_start) = '${month}'
     GROUP BY currency, category, sub_category
     ORDER BY currency, revenue_total DESC, category, sub_category`,
  );
  return {
    title: 'Revenue by currency × top categories (mart_finance__orders_per_month)',
    month: month.slice(0, 7),
    columns: ['currency', 'category', 'sub_category', 'revenue', 'orders', 'units'],
    rows: topPerCurrency(rows).map((r) => [
      String(r.currency),
      String(r.category),
      String(r.sub_category),
      Number(r.revenue_total),
      Number(r.orders_total),
      Number(r.units),
    ]),
  };
}

async function marketing(warehouse: Warehouse, relation: string): Promise<MartTable | undefined> {
  const month = await latestMonth(warehouse, relation);
  if (!month) return undefined;
  const { rows } = await warehouse.query<Row>(
    `SELECT currency, channel, toUInt64(sum(orders)) AS orders_total, round(sum(revenue), 2) AS revenue_total
     FROM ${relation} WHERE toString(month_start) = '${month}'
     GROUP BY currency, channel ORDER BY currency, revenue_total DESC, channel`,
  );
  return {
    title: 'Orders and revenue by channel (mart_marketing__campaign_per_month)',
    month: month.slice(0, 7),
    columns: ['currency', 'channel', 'orders', 'revenue'],
    rows: topPerCurrency(rows).map((r) => [
      String(r.currency),
      String(r.channel),
      Number(r.orders_total),
      Number(r.revenue_total),
    ]),
  };
}

export async function martTables(warehouse: Warehouse, summary: RunSummary): Promise<MartTable[]> {
  const tables: MartTable[] = [];
  const fin = relationOf(summary, 'mart_finance__orders_per_month');
  const mkt = relationOf(summary, 'mart_marketing__campaign_per_month');
  const a = fin ? await finance(warehouse, fin) : undefined;
  const b = mkt ? await marketing(warehouse, mkt) : undefined;
  if (a) tables.push(a);
  if (b) tables.push(b);
  return tables;
}
