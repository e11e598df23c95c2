import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parseCsv } from '../src/csv-text.ts';
import { INVENTORY_COLUMNS, ORDERS_COLUMNS } from '../src/generate/catalog.ts';
import { type Measurement, measure } from './measure.ts';

/**
 * `dema build` of the dema project on N order lines, beside the same final SQL (every statement the
 * build ran, in order) executed directly in chDB; then an incremental build after appending 1% new lines,
 * and one after appending +100% beside `--full-refresh` of the same data.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/dema.js');

export interface BuildFigures {
  readonly lines: number;
  readonly full: Measurement;
  readonly direct: Measurement;
  readonly statements: number;
  readonly incremental: Measurement;
  readonly appended: number;
  /** Models only (`dema run`): after another 1% append, and then with --full-refresh. */
  readonly runIncremental: Measurement;
  readonly runFull: Measurement;
  /** `dema build` after appending as many new lines as the data had (+100%), then `--full-refresh` of the same data. */
  readonly largeBatch: Measurement;
  readonly largeBatchRefresh: Measurement;
  /** The slowest nodes of each of those two builds (run_results.json), to see where the time goes. */
  readonly largeBatchNodes: string;
  readonly largeBatchRefreshNodes: string;
}

function slowestNodes(projectDir: string, count = 5): string {
  const results = JSON.parse(readFileSync(join(projectDir, 'target/run_results.json'), 'utf8')) as {
    results: { unique_id: string; execution_time: number }[];
  };
  return [...results.results]
    .sort((a, b) => b.execution_time - a.execution_time)
    .slice(0, count)
    .map((r) => `${r.unique_id.split('.').at(-1)} ${r.execution_time.toFixed(2)}s`)
    .join(', ');
}

// Runs the statements of a build, in order, in one chDB session: the engine's own path.
const DIRECT_SQL = `
import { readFileSync } from 'node:fs';
import { Session } from 'chdb';
const [dir, file] = process.argv.slice(2);
const statements = JSON.parse(readFileSync(file, 'utf8'));
const session = new Session(dir);
for (const sql of statements) session.query(sql, 'TSV');
session.close();
`;

function writeWorkspace(work: string, dataDir: string): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(ROOT, 'project'), join(work, 'project'), {
    recursive: true,
    filter: (source) => !source.includes('/target'),
  });
  const sources = [
    {
      name: 'inventory',
      location: join(dataDir, 'inventory.csv'),
      table: 'inventory',
      columns: [...INVENTORY_COLUMNS],
      key: ['productId'],
    },
    {
      name: 'orders',
      location: join(dataDir, 'orders.csv'),
      table: 'orders',
      columns: [...ORDERS_COLUMNS],
      key: ['orderId', 'productId', 'dateTime'],
    },
  ];
  writeFileSync(
    join(work, 'dema.yml'),
    stringify({
      target: 'embedded',
      targets: { embedded: { type: 'chdb', path: '.dema/warehouse', schema: 'dema' } },
      archive_dir: 'raw',
      sources,
    }),
  );
}

/** The statements the build ran, in run order, from run_results.json and target/run. */
function executedStatements(projectDir: string): string[] {
  const results = JSON.parse(readFileSync(join(projectDir, 'target/run_results.json'), 'utf8')) as {
    results: { unique_id: string }[];
  };
  const manifest = JSON.parse(readFileSync(join(projectDir, 'target/manifest.json'), 'utf8')) as {
    nodes: Record<
      string,
      { original_file_path: string; package_name: string; alias: string; test_metadata?: unknown }
    >;
  };
  const statements: string[] = [];
  for (const { unique_id: id } of results.results) {
    const node = manifest.nodes[id]!;
    const path = node.test_metadata
      ? `${node.original_file_path}/${node.alias}.sql`
      : node.original_file_path;
    const file = join(projectDir, 'target/run', node.package_name, path);
    if (!existsSync(file)) continue;
    for (const statement of readFileSync(file, 'utf8').split(';\n\n')) {
      const sql = statement.trim().replace(/;$/, '');
      // Seeds load their file through the byte path; the direct run re-creates the table and skips the insert.
      if (sql && !sql.includes(' format CSVWithNames <')) statements.push(sql);
    }
  }
  return statements;
}

function appendLines(dataDir: string, count: number, batch: string): string {
  const products = parseCsv(readFileSync(join(dataDir, 'inventory.csv'), 'utf8'))
    .slice(1)
    .map((row) => row[0]!);
  const file = join(dataDir, `appended-${batch}-${count}.csv`);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, `${ORDERS_COLUMNS.join(',')}\n`);
    // Written in batches: 10M lines joined at once exceed V8's longest string.
    for (let start = 0; start < count; start += 100_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(count, start + 100_000); i++) {
        const day = String((i % 28) + 1).padStart(2, '0');
        // New orders arrive for the latest month of the generated data (2023-06), as in daily operation.
        lines.push(
          `appended-${batch}-${i},${products[i % products.length]},SEK,1,0,${100 + (i % 900)}.5,direct,direct,"",2023-06-${day}T12:00:00Z\n`,
        );
      }
      writeSync(fd, lines.join(''));
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

export async function benchBuild(dataDir: string, lines: number, work: string): Promise<BuildFigures> {
  writeWorkspace(work, dataDir);
  const projectDir = join(work, 'project');
  await measure(process.execPath, [BIN, '--config', join(work, 'dema.yml'), '--quiet', 'ingest']);
  const snapshot = join(work, 'landing-only');
  cpSync(join(work, '.dema/warehouse'), snapshot, { recursive: true });

  const full = await measure(process.execPath, [BIN, '--quiet', 'build', '--project-dir', projectDir], {
    cwd: work,
  });
  const statements = executedStatements(projectDir);
  const statementsFile = join(work, 'statements.json');
  writeFileSync(statementsFile, JSON.stringify(statements));
  const script = join(work, 'direct-sql.mjs');
  writeFileSync(script, DIRECT_SQL);
  rmSync(join(snapshot, 'dema.lock'), { force: true });
  const direct = await measure(process.execPath, [script, snapshot, statementsFile], { cwd: ROOT });

  const appended = Math.round(lines / 100);
  const ingest = (file: string) =>
    measure(process.execPath, [
      BIN,
      '--config',
      join(work, 'dema.yml'),
      '--quiet',
      'ingest',
      'orders',
      '--location',
      `orders=${file}`,
    ]);
  const dema = (...args: string[]) =>
    measure(process.execPath, [BIN, '--quiet', ...args, '--project-dir', projectDir], { cwd: work });
  await ingest(appendLines(dataDir, appended, 'a'));
  const incremental = await dema('build');
  await ingest(appendLines(dataDir, appended, 'b'));
  const runIncremental = await dema('run');
  const runFull = await dema('run', '--full-refresh');
  // A large batch: the incremental build must not be slower than rebuilding everything.
  await ingest(appendLines(dataDir, lines, 'c'));
  const largeBatch = await dema('build');
  const largeBatchNodes = slowestNodes(projectDir);
  const largeBatchRefresh = await dema('build', '--full-refresh');
  const largeBatchRefreshNodes = slowestNodes(projectDir);
  rmSync(snapshot, { recursive: true, force: true });
  return {
    lines,
    full,
    direct,
    statements: statements.length,
    incremental,
    appended,
    runIncremental,
    runFull,
    largeBatch,
    largeBatchRefresh,
    largeBatchNodes,
    largeBatchRefreshNodes,
  };
}
