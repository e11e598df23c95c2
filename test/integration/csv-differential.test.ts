import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SourceConfig } from '../../src/config/dema-config.ts';
import { loadCleanFile } from '../../src/ingest/clean-file.ts';
import { CsvRecordScanner } from '../../src/ingest/csv-scanner.ts';
import { inspectFile } from '../../src/ingest/inspect-bytes.ts';
import { csvInsertSettings } from '../../src/ingest/landing-sql.ts';
import { loadSource } from '../../src/ingest/load-source.ts';
import { openSource } from '../../src/ingest/open-source.ts';
import { listRejects } from '../../src/ingest/rejects.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import {
  openTestWarehouse,
  serverAvailable,
  type Transport,
  tempDir,
  testTarget,
} from '../helpers/fixtures.ts';

/**
 * Differential test of CSV ingest against Python's csv module: generated files with random
 * defects are loaded on every transport (chDB's clean-file path and the scanning path, the
 * server's scanning path); the rows that land must equal, value for value, what Python reads from
 * the good records (test/helpers/csv_oracle.py applies dema's rule), and loaded + rejected records
 * must cover every physical line exactly once.
 */

const FILES = Number(process.env.DEMA_CSV_FILES ?? 1000);
const LIMITS = { maxRecordLines: 4, maxRecordBytes: 160 };
const COLUMNS = ['c1', 'c2', 'c3'];
const ORACLE = fileURLToPath(new URL('../helpers/csv_oracle.py', import.meta.url));

/** mulberry32: a small seeded generator, so a failure names a reproducible file. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

const TEXTS = ['abc', 'café', '日本', '', 'x y', '\\N', ' lead', 'trail ', '\tt\t', 'a"b', "it's", '0', 'N'];
const QUOTED_ONLY = ['a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', ' "q" ', '"', 'a\rb'];

function quote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** A well-formed field: any text, quoted when it must be (or at random); sometimes multi-line. */
function field(rng: Rng, singleLine: boolean): string {
  if (rng.next() < 0.25) {
    const value = rng.pick(QUOTED_ONLY);
    if (!(singleLine && /[\r\n]/.test(value))) return quote(value);
  }
  const value = rng.pick(TEXTS) + (rng.next() < 0.3 ? String(rng.int(1000)) : '');
  // An unquoted value may not start with a quote (it would open a quoted field).
  return rng.next() < 0.3 || value.startsWith('"') ? quote(value) : value;
}

function record(rng: Rng, fields: number, singleLine: boolean): string {
  return Array.from({ length: fields }, () => field(rng, singleLine)).join(',');
}

/** One line (or record) with a defect, or a good record. */
function line(rng: Rng, clean: boolean): Buffer {
  if (clean && rng.next() < 0.02) return Buffer.from([0x62, 0xff, 0x2c, 0x31, 0x2c, 0x32]);
  if (clean) return Buffer.from(record(rng, 3, true));
  const kind = rng.int(14);
  const good = record(rng, 3, false);
  switch (kind) {
    case 0:
      return Buffer.from(`x,"stray ${rng.int(99)},y`);
    case 1:
      return Buffer.from(record(rng, rng.pick([1, 2, 4, 5]), false));
    case 2:
      return Buffer.concat([
        Buffer.from('b'),
        Buffer.from([rng.pick([0xff, 0xc3, 0xe6, 0x80])]),
        Buffer.from(',1,2'),
      ]);
    case 3:
      return Buffer.from(`lone\rcr,${rng.int(9)},z`);
    case 4:
      return Buffer.from(`"abc" ,${rng.int(9)},z`);
    case 5:
      return Buffer.from('');
    case 6:
      return Buffer.from(`${'h'.repeat(150 + rng.int(200))},1,2`);
    case 7:
      return Buffer.from(`"${Array.from({ length: 3 + rng.int(4) }, () => 'l').join('\n')}",1,2`);
    case 8:
      return Buffer.from(`27" monitor,${rng.int(9)},"ok"`);
    case 9:
      return Buffer.from(`"a"x,1,2`);
    default:
      return Buffer.from(good);
  }
}

function generateFile(seed: number): Buffer {
  const rng = prng(seed);
  const clean = rng.next() < 0.4;
  const parts: Buffer[] = [Buffer.from('c1,c2,c3\n')];
  const lines = 1 + rng.int(20);
  for (let i = 0; i < lines; i++) {
    parts.push(line(rng, clean));
    const last = i === lines - 1 && rng.next() < 0.3;
    if (!last) parts.push(Buffer.from(rng.pick(['\n', '\n', '\n', '\r\n', clean ? '\n' : '\r\r\n'])));
  }
  return Buffer.concat(parts);
}

interface OracleFile {
  readonly good: [number, number, string[]][];
  readonly rejects: [number, number][];
}

function oracle(files: readonly string[]): OracleFile[] {
  const job = JSON.stringify({ files, fields: 3, ...LIMITS });
  const result = spawnSync('python3', [ORACLE], { input: job, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as OracleFile[];
}

async function loadAll(warehouse: Warehouse, dir: string, files: readonly string[]): Promise<void> {
  const reporter = { emit: () => {} };
  for (const [i, path] of files.entries()) {
    const source: SourceConfig = {
      name: 'diff',
      location: path,
      format: 'csv',
      table: 'diff',
      columns: COLUMNS,
      key: ['c1'],
      merchant: `f${i}`,
    };
    const file = await openSource({
      source: source.name,
      merchant: source.merchant,
      location: path,
      archiveDir: join(dir, 'archive'),
      reporter,
    });
    await loadSource(
      warehouse,
      source,
      file,
      { force: true, maxRejects: undefined, maxRejectRatio: 1, location: path, recordLimits: LIMITS },
      reporter,
    );
  }
}

const transports: Transport[] = ['embedded', ...((await serverAvailable()) ? (['server'] as const) : [])];
/** Files also loaded end to end (ledger, stage, rejects table): a load costs ~0.5 s, so a sample. */
const END_TO_END = Math.min(FILES, 24);
/** Line numbers of file i are offset by i * LINE_BASE in the batched insert. */
const LINE_BASE = 1000;

type Row = [number, string[]];

function expectedRows(want: OracleFile): Row[] {
  return want.good.map(([l, , values]) => [l, values]);
}

/**
 * Every file through the scanner (cut at a random point, as chunks may be), all good records in one
 * insert — the bytes the scanning path sends, parsed by the transport's ClickHouse.
 */
async function scanBatch(
  warehouse: Warehouse,
  files: readonly string[],
): Promise<Map<number, [number, number][]>> {
  const rejects = new Map<number, [number, number][]>();
  await warehouse.command(
    'CREATE TABLE scanned (_line UInt64, c1 String, c2 String, c3 String) ENGINE = MergeTree ORDER BY _line',
  );
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const [i, path] of files.entries()) {
      const bytes = readFileSync(path);
      const dataOffset = bytes.indexOf(0x0a) + 1;
      const scanner = new CsvRecordScanner(3, i * LINE_BASE + 2, { ...LIMITS, firstOffset: dataOffset });
      const cut = dataOffset + ((i * 7919) % (bytes.length - dataOffset + 1));
      const outputs = [
        scanner.push(bytes.subarray(dataOffset, cut)),
        scanner.push(bytes.subarray(cut)),
        scanner.end(),
      ];
      rejects.set(
        i,
        outputs.flatMap((o) =>
          o.rejects.map((r) => [r.line - i * LINE_BASE, r.lastLine - i * LINE_BASE] as [number, number]),
        ),
      );
      yield* outputs.flatMap((o) => o.chunks);
    }
  }
  await warehouse.insertBytes({
    table: 'scanned',
    columns: ['_line', ...COLUMNS],
    format: 'CSV',
    chunks: chunks(),
    settings: csvInsertSettings(warehouse.capabilities),
  });
  return rejects;
}

async function readRows(
  warehouse: Warehouse,
  sql: string,
): Promise<{ l: string; c1: string; c2: string; c3: string }[]> {
  return (await warehouse.query<{ l: string; c1: string; c2: string; c3: string }>(sql)).rows;
}

test(`${FILES} generated CSV files with defects land exactly as Python's csv reads their good records`, async (t) => {
  const dir = tempDir(t);
  const files = Array.from({ length: FILES }, (_, i) => {
    const path = join(dir, `f${i}.csv`);
    writeFileSync(path, generateFile(i + 1));
    return path;
  });
  const expected = oracle(files);
  for (const transport of transports) {
    const warehouse = await openTestWarehouse(t, testTarget(transport, join(dir, transport)));
    await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${warehouse.database}`);

    // The scanning path, every file.
    const scanRejects = await scanBatch(warehouse, files);
    const scanned = await readRows(
      warehouse,
      'SELECT toString(_line) AS l, c1, c2, c3 FROM scanned ORDER BY _line',
    );
    const byFile = new Map<number, Row[]>();
    for (const r of scanned) {
      const line = Number(r.l);
      const i = Math.floor(line / LINE_BASE);
      byFile.set(i, [...(byFile.get(i) ?? []), [line - i * LINE_BASE, [r.c1, r.c2, r.c3]]]);
    }
    for (const [i, want] of expected.entries()) {
      const context = `${transport}, scanning path: ${files[i]} (seed ${i + 1})`;
      assert.deepEqual(byFile.get(i) ?? [], expectedRows(want), `${context}: loaded rows`);
      assert.deepEqual(scanRejects.get(i), want.rejects, `${context}: rejected line ranges`);
    }

    // The clean-file path (engines that read files): taken only where it loads what the rule says.
    if (warehouse.insertFile) {
      let taken = 0;
      for (const [i, path] of files.entries()) {
        const stage = `clean_${i}`;
        await warehouse.command(
          `CREATE TABLE ${stage} (_line UInt64, c1 String, c2 String, c3 String) ENGINE = MergeTree ORDER BY _line`,
        );
        const loaded = await loadCleanFile({
          warehouse,
          path,
          dataOffset: readFileSync(path).indexOf(0x0a) + 1,
          stage,
          columns: COLUMNS,
          settings: csvInsertSettings(warehouse.capabilities),
          facts: inspectFile(path, () => {}),
          limits: LIMITS,
        });
        if (loaded === undefined) continue;
        taken++;
        const rows = await readRows(
          warehouse,
          `SELECT toString(_line) AS l, c1, c2, c3 FROM ${stage} ORDER BY _line`,
        );
        const context = `${transport}, clean-file path: ${path} (seed ${i + 1})`;
        assert.deepEqual(
          rows.map((r) => [Number(r.l), [r.c1, r.c2, r.c3]]),
          expectedRows(expected[i]!),
          context,
        );
        assert.deepEqual(expected[i]!.rejects, [], `${context}: loaded a file with bad records`);
      }
      assert.ok(taken > FILES / 10, `the clean-file path was taken for only ${taken} files`);
    }

    // End to end on a sample: ledger, stage, ATTACH, rejects table.
    await loadAll(warehouse, join(dir, transport), files.slice(0, END_TO_END));
    const landed = await readRows(
      warehouse,
      'SELECT toString(_line) AS l, c1, c2, c3, _merchant AS m FROM diff ORDER BY m, _line',
    );
    const { rows: rejects } = await warehouse.query<{ m: string; l: string; last: string }>(
      'SELECT merchant AS m, toString(line) AS l, toString(last_line) AS last FROM _dema_rejects ORDER BY m, line',
    );
    for (const [i, want] of expected.slice(0, END_TO_END).entries()) {
      const m = `f${i}`;
      const context = `${transport}, dema ingest: ${files[i]} (seed ${i + 1})`;
      const got = landed
        .filter((r) => (r as unknown as { m: string }).m === m)
        .map((r) => [Number(r.l), [r.c1, r.c2, r.c3]]);
      assert.deepEqual(got, expectedRows(want), `${context}: loaded rows`);
      const gotRejects = rejects.filter((r) => r.m === m).map((r) => [Number(r.l), Number(r.last)]);
      assert.deepEqual(gotRejects, want.rejects, `${context}: rejected line ranges`);
    }
  }
});

for (const transport of transports) {
  test(`${transport}: a 3 MB unterminated quoted line is one reject; later lines keep their numbers`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'big.csv');
    const big = `"${'q'.repeat(3 << 20)}`;
    writeFileSync(path, `c1,c2,c3\na,1,2\n${big}\r\nb,"x\ny",3\n"stray,1,2\nc,27" tv,4\n`);
    const warehouse = await openTestWarehouse(t, testTarget(transport, dir));
    await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${warehouse.database}`);
    const source: SourceConfig = {
      name: 'big',
      location: path,
      format: 'csv',
      table: 'big',
      columns: COLUMNS,
      key: ['c1'],
      merchant: 'default',
    };
    const reporter = { emit: () => {} };
    const file = await openSource({ ...source, source: 'big', archiveDir: join(dir, 'archive'), reporter });
    const result = await loadSource(
      warehouse,
      source,
      file,
      { force: false, maxRejects: 2, maxRejectRatio: undefined, location: path, chunkBytes: 64 << 10 },
      reporter,
    );
    assert.equal(result.status, 'success');
    if (result.status !== 'success') return;
    assert.deepEqual(
      [result.record.rows_read, result.record.rows_loaded, result.record.rows_rejected],
      [5, 3, 2],
    );
    const rows = await readRows(warehouse, 'SELECT toString(_line) AS l, c1, c2, c3 FROM big ORDER BY _line');
    assert.deepEqual(
      rows.map((r) => [Number(r.l), r.c1, r.c2, r.c3]),
      [
        [2, 'a', '1', '2'],
        [4, 'b', 'x\ny', '3'],
        [7, 'c', '27" tv', '4'],
      ],
    );
    const rejects = await listRejects(warehouse, result.record.load_id, 10);
    const byLine = rejects.sort((a, b) => a.line - b.line);
    assert.deepEqual(
      byLine.map((r) => [r.line, r.last_line, r.byte_offset, r.byte_length, r.reason]),
      [
        [3, 3, 15, big.length, 'record longer than 1048576 bytes (max_record_bytes)'],
        [6, 6, 15 + big.length + 2 + 10, 10, 'broken quoting: text after the closing quote of field 1'],
      ],
    );
    assert.equal(byLine[0]!.raw.length, 64 << 10);
  });
}
