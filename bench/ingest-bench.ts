import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ORDERS_COLUMNS } from '../src/generate/catalog.ts';
import { FILE_LOAD_SETTINGS } from '../src/ingest/clean-file.ts';
import { createLandingSql, createStageSql } from '../src/ingest/landing-sql.ts';
import { settingsClause } from '../src/warehouse/sql.ts';
import { measure } from './measure.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/dema.js');
const ORDER_COLUMNS = [...ORDERS_COLUMNS];
const SPEC = {
  database: 'dema',
  table: 'orders',
  columns: ORDER_COLUMNS,
  key: ['orderId', 'productId', 'dateTime'],
};

export interface Row {
  readonly lines: number;
  readonly engine: 'embedded' | 'server';
  readonly path: string;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly mbPerSecond: number;
  readonly peakRssMb: number;
  ratio?: number;
}

function row(
  lines: number,
  bytes: number,
  engine: Row['engine'],
  path: string,
  m: { seconds: number; peakRssMb: number },
): Row {
  return {
    lines,
    engine,
    path,
    seconds: m.seconds,
    rowsPerSecond: lines / m.seconds,
    mbPerSecond: bytes / 1e6 / m.seconds,
    peakRssMb: m.peakRssMb,
  };
}

function writeConfig(dir: string, ordersPath: string, target: Record<string, unknown>): string {
  const file = join(dir, 'dema.yml');
  writeFileSync(
    file,
    stringify({
      target: 'bench',
      targets: { bench: target },
      archive_dir: join(dir, 'archive'),
      sources: [
        { name: 'orders', location: ordersPath, table: 'orders', columns: ORDER_COLUMNS, key: SPEC.key },
      ],
    }),
  );
  return file;
}

// The engine's own best path: INSERT … SELECT FROM file() into the same landing table, with
// optimize_on_insert=0 (2.5× faster than the default, perf-baseline.md), the file-load settings
// dema found best (FILE_LOAD_SETTINGS), line numbers from the reader's _row_number (exact without
// parallel parsing) and merges held off in the stage. Run in a fresh process so its peak RSS is
// its own.
const NATIVE_SETTINGS = settingsClause({
  optimize_on_insert: 0,
  format_csv_allow_single_quotes: 0,
  input_format_csv_trim_whitespaces: 0,
  ...FILE_LOAD_SETTINGS,
  input_format_parallel_parsing: 0,
});
const NATIVE_EMBEDDED = `
import { Session } from 'chdb';
const [dir, file, landingSql, stageSql] = process.argv.slice(2);
const s = new Session(dir);
s.query('CREATE DATABASE IF NOT EXISTS dema');
s.query(landingSql);
s.query(stageSql);
s.query('SYSTEM STOP MERGES dema.stage');
const structure = ${JSON.stringify(ORDER_COLUMNS.map((c) => `${c} String`).join(', '))};
s.query(\`INSERT INTO dema.stage (_line, ${ORDER_COLUMNS.join(', ')}) SELECT _row_number + 2, * FROM file('\${file}', 'CSVWithNames', '\${structure}')${NATIVE_SETTINGS}\`);
s.query("ALTER TABLE dema.orders ATTACH PARTITION 'default' FROM dema.stage");
s.close();
`;

export async function benchIngest(
  ordersPath: string,
  lines: number,
  work: string,
  server: boolean,
): Promise<Row[]> {
  const bytes = statSync(ordersPath).size;
  const rows: Row[] = [];
  const stamp = { merchant: 'default', loadId: 'native', sourceFile: 'orders.csv', loadedAt: 0, version: 1n };

  const nativeDir = resolve(work, 'native-embedded');
  rmSync(nativeDir, { recursive: true, force: true });
  mkdirSync(nativeDir, { recursive: true });
  const script = join(ROOT, 'bench/out/native-embedded.mjs');
  writeFileSync(script, NATIVE_EMBEDDED);
  const native = await measure(process.execPath, [
    script,
    nativeDir,
    ordersPath,
    createLandingSql(SPEC),
    createStageSql(SPEC, 'stage', stamp),
  ]);
  rows.push(row(lines, bytes, 'embedded', 'native: INSERT … SELECT FROM file()', native));
  rmSync(nativeDir, { recursive: true, force: true });

  const demaDir = resolve(work, 'dema-embedded');
  rmSync(demaDir, { recursive: true, force: true });
  mkdirSync(demaDir, { recursive: true });
  const config = writeConfig(demaDir, ordersPath, {
    type: 'chdb',
    path: join(demaDir, 'warehouse'),
    schema: 'dema',
  });
  const ours = await measure(process.execPath, [BIN, '--config', config, '--quiet', 'ingest']);
  rows.push({ ...row(lines, bytes, 'embedded', 'dema ingest', ours), ratio: native.seconds / ours.seconds });
  rmSync(demaDir, { recursive: true, force: true });

  if (server) {
    const database = `dema_bench_${Date.now()}`;
    const client = (query: string) => measure('clickhouse-client', ['--query', query]);
    await client(`CREATE DATABASE ${database}`);
    await client(createLandingSql({ ...SPEC, database }));
    const nativeServer = await measure(
      'clickhouse-client',
      ['--query', `INSERT INTO ${database}.orders (${ORDER_COLUMNS.join(', ')}) FORMAT CSVWithNames`],
      { stdinFile: ordersPath },
    );
    rows.push(
      row(lines, bytes, 'server', 'native: clickhouse-client FORMAT CSVWithNames < file', nativeServer),
    );
    await client(`DROP DATABASE ${database}`);

    const serverDir = resolve(work, 'dema-server');
    rmSync(serverDir, { recursive: true, force: true });
    mkdirSync(serverDir, { recursive: true });
    const serverConfig = writeConfig(serverDir, ordersPath, {
      type: 'clickhouse',
      host: '127.0.0.1',
      port: 8123,
      user: 'dema',
      password: 'd3m4',
      schema: `${database}_dema`,
    });
    const oursServer = await measure(process.execPath, [BIN, '--config', serverConfig, '--quiet', 'ingest']);
    rows.push({
      ...row(lines, bytes, 'server', 'dema ingest', oursServer),
      ratio: nativeServer.seconds / oursServer.seconds,
    });
    await client(`DROP DATABASE ${database}_dema`);
    rmSync(serverDir, { recursive: true, force: true });
  }
  return rows;
}
