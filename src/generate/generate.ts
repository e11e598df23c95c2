import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DemaError } from '../errors.ts';
import { type Reporter, silentReporter } from '../events.ts';
import { CAMPAIGNS, CATEGORIES, CHANNELS, INVENTORY_COLUMNS, ORDERS_COLUMNS } from './catalog.ts';
import { intBetween, mulberry32, pick, type Random } from './prng.ts';

export interface GenerateOptions {
  readonly outDir: string;
  /** Order lines per merchant. */
  readonly orderLines: number;
  /** Parent styles per merchant (each has 2–6 size variants). */
  readonly styles: number;
  readonly seed: number;
  readonly merchants: number;
  /** Share of order lines made malformed (wrong field count, broken quoting, invalid UTF-8). */
  readonly badRate: number;
  /** Share of order lines whose product is missing from inventory. */
  readonly orphanRate: number;
  readonly startMonth: string;
  readonly months: number;
  readonly currencies: readonly string[];
}

const PROGRESS_EVERY = 10_000;

export const GENERATE_DEFAULTS: Omit<GenerateOptions, 'outDir'> = {
  orderLines: 20_000,
  styles: 400,
  seed: 42,
  merchants: 1,
  badRate: 0,
  orphanRate: 0,
  startMonth: '2023-01',
  months: 6,
  currencies: ['SEK'],
};

export interface GeneratedMerchant {
  readonly merchant: string;
  readonly inventoryPath: string;
  readonly ordersPath: string;
  readonly products: number;
  readonly orderLines: number;
  readonly badLines: number;
}

interface Product {
  readonly id: string;
}

const ORDERS_HEADER = `${ORDERS_COLUMNS.join(',')}\n`;
const INVENTORY_HEADER = `${INVENTORY_COLUMNS.join(',')}\n`;
const FLUSH_BYTES = 4 << 20;

/** Writes strings with backpressure, so memory stays bounded for any file size. */
class BatchedWriter {
  private readonly stream;
  private buffer = '';
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) await this.flush();
  }
  async writeBytes(bytes: Buffer): Promise<void> {
    await this.flush();
    if (!this.stream.write(bytes)) await once(this.stream, 'drain');
  }
  private async flush(): Promise<void> {
    if (!this.buffer) return;
    const ok = this.stream.write(this.buffer);
    this.buffer = '';
    if (!ok) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function uuid(random: Random): string {
  const hex = (digits: number) =>
    Math.floor(random() * 16 ** digits)
      .toString(16)
      .padStart(digits, '0');
  return `${hex(8)}-${hex(4)}-3${hex(3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(6)}${hex(6)}`;
}

function money(value: number, decimals: number): string {
  const fixed = value.toFixed(decimals);
  return decimals === 0 ? fixed : fixed.replace(/0+$/, '').replace(/\.$/, '');
}

/** ISO-8601 UTC with `Z`, in the varying precision seen in the original extract. */
function timestamp(random: Random, start: number, spanMs: number): string {
  const iso = new Date(start + Math.floor(random() * spanMs)).toISOString();
  const precision = random();
  if (precision < 0.6) return iso.replace(/\.\d{3}Z$/, 'Z');
  if (precision < 0.8) return iso.replace(/(\.\d)\d{2}Z$/, '$1Z');
  return iso;
}

async function writeInventory(path: string, random: Random, styles: number): Promise<Product[]> {
  const writer = new BatchedWriter(path);
  await writer.write(INVENTORY_HEADER);
  const products: Product[] = [];
  const categories = Object.entries(CATEGORIES);
  for (let style = 0; style < styles; style++) {
    const [category, subs] = pick(random, categories);
    const sub = pick(random, subs);
    const name = pick(random, sub.names);
    const parent = `prod${1000 + style}`;
    const variants = intBetween(random, 2, 6);
    for (let v = 0; v < variants; v++) {
      const id = `${parent}#prod${String(100000000000 + style * 100 + v * 11 + intBetween(random, 0, 9))}`;
      const quantity = random() < 0.3 ? 0 : intBetween(random, 1, 60);
      products.push({ id });
      await writer.write(`${id},${csvField(name)},${quantity},${category},${sub.sub}\n`);
    }
  }
  await writer.close();
  return products;
}

function badLine(random: Random, good: string): Buffer {
  const kind = intBetween(random, 0, 3);
  if (kind === 0) return Buffer.from(good.replace(/,[^,]*\n$/, '\n')); // a field missing
  if (kind === 1) return Buffer.from(good.replace(/\n$/, ',extra\n')); // one field too many
  if (kind === 2) return Buffer.from(good.replace(/^([^,]*),/, '"$1"x,')); // text after a closing quote
  return Buffer.concat([
    Buffer.from(good.slice(0, 10)),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(good.slice(10)),
  ]);
}

async function writeOrders(
  path: string,
  random: Random,
  products: readonly Product[],
  options: GenerateOptions,
  progress: (lines: number) => void,
): Promise<number> {
  const writer = new BatchedWriter(path);
  await writer.write(ORDERS_HEADER);
  const [year, month] = options.startMonth.split('-').map(Number) as [number, number];
  const start = Date.UTC(year, month - 1, 1);
  const spanMs = Date.UTC(year, month - 1 + options.months, 1) - start;
  let written = 0;
  let bad = 0;
  while (written < options.orderLines) {
    const orderId = uuid(random);
    const when = timestamp(random, start, spanMs);
    const [channel, groups] = pick(random, CHANNELS);
    const channelGroup = pick(random, groups);
    const campaign = random() < 0.75 ? '' : pick(random, CAMPAIGNS);
    const currency =
      options.currencies.length === 1 ? options.currencies[0]! : pick(random, options.currencies);
    const lines = Math.min(options.orderLines - written, random() < 0.6 ? 1 : intBetween(random, 2, 4));
    const shipping = random() < 0.7 ? 0 : pick(random, [29, 49, 79, 99]);
    const used = new Set<string>();
    for (let l = 0; l < lines; l++) {
      let productId = pick(random, products).id;
      while (used.has(productId)) productId = pick(random, products).id;
      used.add(productId);
      if (random() < options.orphanRate)
        productId = `prod9${intBetween(random, 100, 999)}#prod9${intBetween(random, 10 ** 10, 10 ** 11)}`;
      const quantity = random() < 0.85 ? 1 : intBetween(random, 2, 5);
      const amount = money(quantity * (99 + random() * 2400), intBetween(random, 0, 3));
      const share = shipping === 0 ? '0' : money(shipping / lines, 3);
      const line = `${orderId},${productId},${currency},${quantity},${share},${amount},${channel},${channelGroup},"${campaign}",${when}\n`;
      if (random() < options.badRate) {
        await writer.writeBytes(badLine(random, line));
        bad++;
      } else await writer.write(line);
      written++;
      if (written % PROGRESS_EVERY === 0) progress(written);
    }
  }
  await writer.close();
  progress(written);
  return bad;
}

function validate(options: GenerateOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.orderLines) || options.orderLines < 0)
    problems.push('--lines must be a whole number ≥ 0');
  if (!Number.isInteger(options.styles) || options.styles < 1)
    problems.push('--styles must be a whole number ≥ 1');
  if (!Number.isInteger(options.merchants) || options.merchants < 1) problems.push('--merchants must be ≥ 1');
  if (!(options.badRate >= 0 && options.badRate <= 1)) problems.push('--bad-rate must be between 0 and 1');
  if (!(options.orphanRate >= 0 && options.orphanRate <= 1))
    problems.push('--orphan-rate must be between 0 and 1');
  if (!/^\d{4}-\d{2}$/.test(options.startMonth)) problems.push('--start-month must look like 2023-01');
  if (problems.length > 0)
    throw new DemaError('GENERATE_INVALID', problems.join('; '), { hint: 'See dema generate --help.' });
}

export function merchantName(index: number, total: number): string {
  return total === 1 ? 'default' : `merchant_${String(index + 1).padStart(3, '0')}`;
}

/** Writes inventory.csv and orders.csv per merchant; the same options always give the same bytes. */
/** `reporter` sees a `generate.progress` event every PROGRESS_EVERY order lines (a bar on a terminal). */
export async function generate(
  options: GenerateOptions,
  reporter: Reporter = silentReporter,
): Promise<GeneratedMerchant[]> {
  validate(options);
  const results: GeneratedMerchant[] = [];
  for (let m = 0; m < options.merchants; m++) {
    const merchant = merchantName(m, options.merchants);
    const dir = options.merchants === 1 ? options.outDir : join(options.outDir, merchant);
    mkdirSync(dir, { recursive: true });
    const random = mulberry32(options.seed + m * 7919);
    const inventoryPath = join(dir, 'inventory.csv');
    const ordersPath = join(dir, 'orders.csv');
    const products = await writeInventory(inventoryPath, random, options.styles);
    const badLines = await writeOrders(ordersPath, random, products, options, (lines) =>
      reporter.emit({ type: 'generate.progress', merchant, lines, total: options.orderLines }),
    );
    results.push({
      merchant,
      inventoryPath,
      ordersPath,
      products: products.length,
      orderLines: options.orderLines,
      badLines,
    });
  }
  return results;
}
