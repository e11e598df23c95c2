import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GENERATE_DEFAULTS, generate } from '../../generate/generate.ts';
import type { GlobalOptions } from '../context.ts';
import { formatCount, type Output } from '../output.ts';

interface GenerateFlags {
  out: string;
  lines: string;
  styles: string;
  seed: string;
  merchants: string;
  badRate: string;
  orphanRate: string;
  startMonth: string;
  months: string;
  currencies: string;
}

export function registerGenerate(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('generate')
    .description('Write deterministic sample inventory.csv and orders.csv in the original export format')
    .option('-o, --out <dir>', 'output directory', 'data/sample')
    .option('-n, --lines <n>', 'order lines per merchant', String(GENERATE_DEFAULTS.orderLines))
    .option(
      '--styles <n>',
      'parent styles per merchant (2–6 size variants each)',
      String(GENERATE_DEFAULTS.styles),
    )
    .option('--seed <n>', 'random seed', String(GENERATE_DEFAULTS.seed))
    .option(
      '--merchants <n>',
      'merchants (each gets its own folder when > 1)',
      String(GENERATE_DEFAULTS.merchants),
    )
    .option('--bad-rate <ratio>', 'share of malformed order lines', String(GENERATE_DEFAULTS.badRate))
    .option(
      '--orphan-rate <ratio>',
      'share of order lines whose product is not in inventory',
      String(GENERATE_DEFAULTS.orphanRate),
    )
    .option('--start-month <yyyy-mm>', 'first month of orders', GENERATE_DEFAULTS.startMonth)
    .option('--months <n>', 'months of orders', String(GENERATE_DEFAULTS.months))
    .option('--currencies <list>', 'comma-separated currencies', GENERATE_DEFAULTS.currencies.join(','))
    .action((flags: GenerateFlags) =>
      run(async (_global, output) => {
        const results = await generate(
          {
            outDir: resolve(flags.out),
            orderLines: Number(flags.lines),
            styles: Number(flags.styles),
            seed: Number(flags.seed),
            merchants: Number(flags.merchants),
            badRate: Number(flags.badRate),
            orphanRate: Number(flags.orphanRate),
            startMonth: flags.startMonth,
            months: Number(flags.months),
            currencies: flags.currencies
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          },
          output.reporter,
        );
        for (const r of results) {
          if (output.json) output.line(JSON.stringify({ type: 'generated', ...r }));
          else
            output.line(
              `generated ${r.merchant}: ${formatCount(r.products)} products → ${r.inventoryPath}; ${formatCount(r.orderLines)} order lines (${formatCount(r.badLines)} malformed) → ${r.ordersPath}`,
            );
        }
        return 0;
      }),
    );
}
