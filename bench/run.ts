import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATE_DEFAULTS, generate } from '../src/generate/generate.ts';
import { benchBuild } from './build-bench.ts';
import { benchDocs } from './docs-bench.ts';
import { benchIngest, type Row } from './ingest-bench.ts';
import { parseAndCompile, writeBigProject } from './parse-bench.ts';

/**
 * npm run bench [-- --sizes 1000000,10000000] — generates the data once (kept in bench/out/), then
 * prints dema beside the engine's own native path, with ratios (native time ÷ dema time; ≥ 1 is faster).
 */
const OUT = fileURLToPath(new URL('./out', import.meta.url));
const sizesArg = process.argv.indexOf('--sizes');
const sizes = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(',').map(Number) : [1_000_000, 10_000_000];
const buildArg = process.argv.indexOf('--build-lines');
const buildLines = buildArg > 0 ? Number(process.argv[buildArg + 1]) : Math.max(...sizes);
const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]!.split(',')
  : ['ingest', 'parse', 'build', 'docs', 'startup'];

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
  return simpleTable(header, body);
}

function simpleTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function ensureData(lines: number): Promise<string> {
  const dir = join(OUT, `data-${lines}`);
  if (!existsSync(join(dir, 'orders.csv'))) {
    console.error(`generating ${lines.toLocaleString('en-US')} order lines in ${dir} …`);
    await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: lines, styles: 2000 });
  }
  return dir;
}

mkdirSync(OUT, { recursive: true });
const server = only.includes('ingest') && (await serverUp());
if (only.includes('ingest') && !server)
  console.error(
    'note: no ClickHouse server on 127.0.0.1:8123 — server rows skipped (scripts/clickhouse-server.sh start)',
  );
if (only.includes('ingest')) {
  const rows: Row[] = [];
  for (const lines of sizes) {
    const dir = await ensureData(lines);
    console.error(`ingest bench at ${lines.toLocaleString('en-US')} lines …`);
    rows.push(...(await benchIngest(join(dir, 'orders.csv'), lines, join(OUT, 'work'), server)));
  }
  console.log(
    '\nIngest: orders.csv into the landing table (wall time of the whole command, fresh process)\n',
  );
  console.log(table(rows));
}

if (only.includes('parse')) {
  const plainDir = join(OUT, 'project-1000');
  writeBigProject(plainDir, 1000);
  const plain = parseAndCompile(plainDir);
  // The real dbt_utils release (shared/ beside the repository), installed in dbt_packages/.
  const dbtUtils = fileURLToPath(new URL('../../shared/dbt-packages/dbt_utils', import.meta.url));
  const packagedDir = join(OUT, 'project-1000-dbt-utils');
  writeBigProject(packagedDir, 1000, { dbtUtils });
  const packaged = parseAndCompile(packagedDir);
  const row = (label: string, figures: typeof plain, target: string) => [
    label,
    String(figures.models),
    String(figures.tests),
    figures.parseSeconds.toFixed(2),
    figures.compileSeconds.toFixed(2),
    (figures.parseSeconds + figures.compileSeconds).toFixed(2),
    target,
  ];
  console.log('\nParse + compile of a generated 1,000-model project (in process, first run, no cache)\n');
  console.log(
    simpleTable(
      ['project', 'models', 'tests', 'parse s', 'compile s', 'total s', 'target'],
      [
        row('plain', plain, '< 1 s (dbt-core: tens of seconds)'),
        row('calling dbt_utils 1.4.1 from dbt_packages/', packaged, '< 2 s'),
      ],
    ),
  );
}

if (only.includes('build')) {
  const dir = await ensureData(buildLines);
  console.error(`build bench at ${buildLines.toLocaleString('en-US')} lines …`);
  const b = await benchBuild(dir, buildLines, join(OUT, 'build-work'));
  console.log(
    `\nBuild of the dema project on ${buildLines.toLocaleString('en-US')} order lines (wall time, fresh process)\n`,
  );
  console.log(
    simpleTable(
      ['run', 'seconds', 'CPU s', 'peak RSS MB', 'ratio', 'target'],
      [
        [
          `native: the build's ${b.statements} statements run directly in chDB`,
          b.direct.seconds.toFixed(2),
          b.direct.cpuSeconds.toFixed(2),
          Math.round(b.direct.peakRssMb).toLocaleString('en-US'),
          '1.00',
          '',
        ],
        [
          'dema build (full)',
          b.full.seconds.toFixed(2),
          b.full.cpuSeconds.toFixed(2),
          Math.round(b.full.peakRssMb).toLocaleString('en-US'),
          `${(b.full.seconds / b.direct.seconds).toFixed(2)}× native`,
          '≤ 1.2×',
        ],
        [
          `dema build after appending ${b.appended.toLocaleString('en-US')} lines (1%)`,
          b.incremental.seconds.toFixed(2),
          b.incremental.cpuSeconds.toFixed(2),
          Math.round(b.incremental.peakRssMb).toLocaleString('en-US'),
          `${((b.incremental.seconds / b.full.seconds) * 100).toFixed(1)}% of full build`,
          '≤ 10%',
        ],
        [
          'dema run --full-refresh (models only)',
          b.runFull.seconds.toFixed(2),
          b.runFull.cpuSeconds.toFixed(2),
          Math.round(b.runFull.peakRssMb).toLocaleString('en-US'),
          '',
          '',
        ],
        [
          'dema run after appending another 1% (models only)',
          b.runIncremental.seconds.toFixed(2),
          b.runIncremental.cpuSeconds.toFixed(2),
          Math.round(b.runIncremental.peakRssMb).toLocaleString('en-US'),
          `${((b.runIncremental.seconds / b.runFull.seconds) * 100).toFixed(1)}% of full run`,
          '',
        ],
        [
          `dema build after appending ${b.lines.toLocaleString('en-US')} lines (+100%)`,
          b.largeBatch.seconds.toFixed(2),
          b.largeBatch.cpuSeconds.toFixed(2),
          Math.round(b.largeBatch.peakRssMb).toLocaleString('en-US'),
          `${(b.largeBatch.seconds / b.largeBatchRefresh.seconds).toFixed(2)}× full refresh (CPU ${(b.largeBatch.cpuSeconds / b.largeBatchRefresh.cpuSeconds).toFixed(2)}×)`,
          '≤ 1.0×',
        ],
        [
          'dema build --full-refresh of the same data',
          b.largeBatchRefresh.seconds.toFixed(2),
          b.largeBatchRefresh.cpuSeconds.toFixed(2),
          Math.round(b.largeBatchRefresh.peakRssMb).toLocaleString('en-US'),
          '',
          '',
        ],
      ],
    ),
  );
  console.log(`\nslowest nodes, build after +100%: ${b.largeBatchNodes}`);
  console.log(`slowest nodes, build --full-refresh: ${b.largeBatchRefreshNodes}`);
}

if (only.includes('docs')) {
  const bin = fileURLToPath(new URL('../bin/dema.js', import.meta.url));
  const d = await benchDocs(join(OUT, 'docs-project-1000'), 1000, bin);
  console.log(
    '\nDocs of a generated 1,000-model project (3,000 nodes with tests; fresh process; Chromium headless)\n',
  );
  console.log(
    simpleTable(
      ['measure', 'value', 'target'],
      [
        ['dema docs generate (compile + catalog + site), s', d.generate.seconds.toFixed(2), '< 5 s'],
        ['  CPU seconds (user + system) of that process', d.generate.cpuSeconds.toFixed(2), ''],
        ['  of which the docs step (manifest → lineage + site), ms', Math.round(d.docsStepMs).toString(), ''],
        ['  peak RSS MB', Math.round(d.generate.peakRssMb).toLocaleString('en-US'), ''],
        ['index.html MB', d.htmlMb.toFixed(1), ''],
        ['page open → lineage drawn (interactive), ms', Math.round(d.interactiveMs).toString(), '< 2,000 ms'],
        ['nodes in the focused graph (±2)', String(d.graphNodes), ''],
        [
          `redraw: root with depth 20 downstream (${d.wholeDagNodes} drawn, ≤ 80 a layer), ms`,
          Math.round(d.wholeDagMs).toString(),
          '',
        ],
        ['machine load average (1 min) during the bench', d.loadAverage.toFixed(1), ''],
      ],
    ),
  );
}

if (only.includes('startup')) {
  // Median wall time of 15 fresh processes: `dema --help` (the compiled CLI, as `npm ci` builds it)
  // beside `node -e 0`, the floor every Node CLI pays.
  // Every measured process must take the compiled path: with dist/ stale, bin/dema.js would run the
  // sources through tsx (DEMA_REQUIRE_DIST makes it refuse instead). So build first when stale.
  const bin = fileURLToPath(new URL('../bin/dema.js', import.meta.url));
  const env = { ...process.env, DEMA_REQUIRE_DIST: '1', DEMA_FROM_SOURCE: '' };
  const compiled = () => {
    try {
      execFileSync(process.execPath, [bin, '--version'], { env, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!compiled()) {
    console.log('\ndist/ is older than src/: npm run build, so start-up measures the compiled CLI');
    execFileSync('npm', ['run', 'build'], {
      stdio: 'inherit',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    if (!compiled()) throw new Error('dist/ is still stale after npm run build; start-up not measured');
  }
  const median = (args: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      execFileSync(process.execPath, args, { stdio: 'ignore', env });
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[7]!;
  };
  const help = median([bin, '--help']);
  const floor = median(['-e', '0']);
  console.log('\nStart-up (median of 15 fresh processes)\n');
  console.log(
    simpleTable(
      ['command', 'ms', 'target'],
      [
        ['dema --help', Math.round(help).toString(), '< 150 ms'],
        ['node -e 0 (the floor)', Math.round(floor).toString(), ''],
      ],
    ),
  );
}
