import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATE_DEFAULTS, generate } from '../src/generate/generate.ts';
import { benchIngest, type Row } from './ingest-bench.ts';

/**
 * npm run bench [-- --sizes 1000000,10000000] — generates the data once (kept in bench/out/), then
 * prints dema beside the engine's own native path, with ratios (native time ÷ dema time; ≥ 1 is faster).
 */
const OUT = fileURLToPath(new URL('./out', import.meta.url));
const sizesArg = process.argv.indexOf('--sizes');
const sizes = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(',').map(Number) : [1_000_000, 10_000_000];

async function serverUp(): Promise<boolean> {
  try {
    return (await fetch('http://127.0.0.1:8123/ping')).ok;
  } catch {
    return false;
  }
}

function table(rows: readonly Row[]): string {
  const header = ['lines', 'engine', 'path', 'seconds', 'rows/s', 'MB/s', 'peak RSS MB', 'vs native'];
  const body = rows.map((r) => [
    r.lines.toLocaleString('en-US'),
    r.engine,
    r.path,
    r.seconds.toFixed(2),
    Math.round(r.rowsPerSecond).toLocaleString('en-US'),
    r.mbPerSecond.toFixed(1),
    Math.round(r.peakRssMb).toLocaleString('en-US'),
    r.ratio === undefined ? '1.00 (native)' : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

mkdirSync(OUT, { recursive: true });
const server = await serverUp();
if (!server)
  console.error(
    'note: no ClickHouse server on 127.0.0.1:8123 — server rows skipped (scripts/clickhouse-server.sh start)',
  );
const rows: Row[] = [];
for (const lines of sizes) {
  const dir = join(OUT, `data-${lines}`);
  if (!existsSync(join(dir, 'orders.csv'))) {
    console.error(`generating ${lines.toLocaleString('en-US')} order lines in ${dir} …`);
    await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: lines, styles: 2000 });
  }
  console.error(`ingest bench at ${lines.toLocaleString('en-US')} lines …`);
  rows.push(...(await benchIngest(join(dir, 'orders.csv'), lines, join(OUT, 'work'), server)));
}
console.log('\nIngest: orders.csv into the landing table (wall time of the whole command, fresh process)\n');
console.log(table(rows));
