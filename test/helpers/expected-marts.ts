import { readFileSync } from 'node:fs';
import { parseCsv } from '../../src/csv-text.ts';

/**
 * The marts computed straight from the CSV exports in TypeScript, without ClickHouse: what
 * `dema build` must produce exactly. Money is summed as scaled integers (1e-4), never floats.
 */

export interface MerchantFiles {
  readonly merchant: string;
  /** Inventory files in load order; a later file's product replaces an earlier one. */
  readonly inventory: readonly string[];
  /** Orders files in load order; a later file's line replaces an earlier one with the same key. */
  readonly orders: readonly string[];
}

const SCALE = 10_000n;

export function toScaled(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  const negative = whole.startsWith('-');
  const value = BigInt(whole.replace('-', '')) * SCALE + BigInt((fraction + '0000').slice(0, 4));
  return negative ? -value : value;
}

function rows(file: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(readFileSync(file, 'utf8'));
  return body
    .filter((row) => row.length === header!.length)
    .map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

interface Group {
  orders: Set<string>;
  lines: number;
  units: number;
  shipping: bigint;
  revenue: bigint;
}

export interface ExpectedMarts {
  readonly finance: Map<string, Group>;
  readonly marketing: Map<string, Group>;
}

const monthOf = (iso: string) => `${new Date(iso).toISOString().slice(0, 7)}-01`;

export function expectedMarts(merchants: readonly MerchantFiles[]): ExpectedMarts {
  const finance = new Map<string, Group>();
  const marketing = new Map<string, Group>();
  const add = (map: Map<string, Group>, key: string, line: Record<string, string>) => {
    const group = map.get(key) ?? { orders: new Set(), lines: 0, units: 0, shipping: 0n, revenue: 0n };
    group.orders.add(`${line.orderId}|${new Date(line.dateTime!).getTime()}`);
    group.lines++;
    group.units += Number(line.quantity);
    group.shipping += toScaled(line.shippingCost!);
    group.revenue += toScaled(line.amount!);
    map.set(key, group);
  };
  for (const files of merchants) {
    const products = new Map(
      files.inventory.flatMap((file) => rows(file)).map((row) => [row.productId!, row]),
    );
    const lines = new Map<string, Record<string, string>>();
    for (const file of files.orders)
      for (const line of rows(file)) lines.set(`${line.orderId}|${line.productId}|${line.dateTime}`, line);
    for (const line of lines.values()) {
      const product = products.get(line.productId!);
      const month = monthOf(line.dateTime!);
      const category = product ? product.category : '(unknown product)';
      const sub = product ? product.subCategory : '(unknown product)';
      add(finance, [files.merchant, month, line.currency, category, sub].join('|'), line);
      add(
        marketing,
        [files.merchant, month, line.currency, line.channel, line.channelGroup, line.campaign || '\\N'].join(
          '|',
        ),
        line,
      );
    }
  }
  return { finance, marketing };
}

/** A comparable text form of one group: orders, lines, units, shipping, revenue. */
export function groupText(group: Group, withShipping: boolean): string {
  return [
    group.orders.size,
    group.lines,
    group.units,
    ...(withShipping ? [group.shipping] : []),
    group.revenue,
  ].join(' ');
}
