import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type CleanFileLoad, loadCleanFile } from '../../src/ingest/clean-file.ts';
import { DEFAULT_RECORD_LIMITS } from '../../src/ingest/csv-scanner.ts';
import { type ByteFacts, ByteInspector } from '../../src/ingest/inspect-bytes.ts';
import { createStageSql } from '../../src/ingest/landing-sql.ts';
import { readHeader } from '../../src/ingest/read-header.ts';
import { qualified } from '../../src/warehouse/sql.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';

/**
 * The clean-file fast path's guard (src/ingest/clean-file.ts): chDB's own parser loads a file only
 * when the archive pass proved every line valid UTF-8, plain and within max_record_bytes, and the
 * staged count matches its lines; anything else leaves the stage empty for the scanning path.
 * chDB itself accepts invalid UTF-8 and reads a quoted line feed as one record: only the guard
 * can refuse those.
 */

const COLUMNS = ['id', 'name'];
const STAGE = '_dema_stage_t_x';

function facts(bytes: Buffer): ByteFacts {
  const inspector = new ByteInspector();
  inspector.update(bytes);
  return inspector.digest();
}

async function setUp(t: TestContext) {
  const dir = tempDir(t);
  const w = await openTestWarehouse(t, testTarget('embedded', dir));
  await w.command(`CREATE DATABASE IF NOT EXISTS ${w.database}`);
  const stamp = { merchant: 'm', loadId: 'x', sourceFile: 'f.csv', loadedAt: 1_700_000_000, version: 1n };
  await w.command(
    createStageSql({ database: w.database, table: 't', columns: COLUMNS, key: ['id'] }, STAGE, stamp),
  );
  let n = 0;
  const load = async (text: Buffer | string, overrides: Partial<CleanFileLoad> = {}) => {
    const path = join(dir, `f${n++}.csv`);
    writeFileSync(path, text);
    const bytes = readFileSync(path);
    await w.command(`TRUNCATE TABLE ${qualified(w.database, STAGE)}`);
    return loadCleanFile({
      warehouse: w,
      path,
      dataOffset: (await readHeader(path)).dataOffset,
      stage: STAGE,
      columns: COLUMNS,
      settings: {},
      facts: Promise.resolve(facts(bytes)),
      limits: DEFAULT_RECORD_LIMITS,
      ...overrides,
    });
  };
  return { w, load, staged: () => staged(w) };
}

async function staged(w: Warehouse): Promise<string[]> {
  const { rows } = await w.query<{ r: string }>(
    `SELECT concat(toString(_line), ':', id, ':', name) AS r FROM ${qualified(w.database, STAGE)} ORDER BY _line`,
  );
  return rows.map((row) => row.r);
}

const CLEAN = 'id,name\n1,anna\n2,"bo, b"\n3,cé\n';

test('a clean file is loaded by the engine, every line with its line number', async (t) => {
  const { load, staged } = await setUp(t);
  assert.equal(await load(CLEAN), 3);
  assert.deepEqual(await staged(), ['2:1:anna', '3:2:bo, b', '4:3:cé']);
  // Without a final line feed too.
  assert.equal(await load(CLEAN.trimEnd()), 3);
  assert.equal((await staged()).length, 3);
});

test('invalid UTF-8 on one line, which the engine would load, sends the whole file to the scanner', async (t) => {
  const { load, staged } = await setUp(t);
  const text = Buffer.concat([
    Buffer.from('id,name\n1,anna\n2,'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('\n3,c\n'),
  ]);
  assert.equal(await load(text), undefined);
  assert.deepEqual(await staged(), []);
});

test('a quoted line feed (one record on two lines) is not plain: the scanner takes it', async (t) => {
  const { load, staged } = await setUp(t);
  assert.equal(await load('id,name\n1,"an\nna"\n2,b\n'), undefined);
  assert.deepEqual(await staged(), []);
});

test('a line longer than max_record_bytes is left to the scanner, one exactly at the limit is not', async (t) => {
  const { load, staged } = await setUp(t);
  const line = `1,${'a'.repeat(98)}`;
  const limits = (maxRecordBytes: number) => ({ limits: { ...DEFAULT_RECORD_LIMITS, maxRecordBytes } });
  assert.equal(await load(`id,name\n${line}\n`, limits(99)), undefined);
  assert.deepEqual(await staged(), []);
  assert.equal(await load(`id,name\n${line}\n`, limits(100)), 1);
});

test('an insert the engine refuses, a count that does not match, or no facts: nothing stays staged', async (t) => {
  const { w, load, staged } = await setUp(t);
  assert.equal(await load('id,name\n1,a,extra,fields\n2,b\n'), undefined);
  assert.deepEqual(await staged(), []);
  const lying = { ...facts(Buffer.from(CLEAN)), lineFeeds: 5 };
  assert.equal(await load(CLEAN, { facts: Promise.resolve(lying) }), undefined);
  assert.deepEqual(await staged(), []);
  const failed = Promise.reject(new Error('archive failed'));
  failed.catch(() => {}); // awaited later, by loadCleanFile
  assert.equal(await load(CLEAN, { facts: failed }), undefined);
  assert.deepEqual(await staged(), []);
  // No header offset (an empty file) or a warehouse that cannot read files: not this path.
  assert.equal(await load(CLEAN, { dataOffset: 0 }), undefined);
  const noFiles = new Proxy(w, {
    get: (target, p) => (p === 'insertFile' ? undefined : Reflect.get(target, p)),
  });
  assert.equal(await load(CLEAN, { warehouse: noFiles }), undefined);
  assert.deepEqual(await staged(), []);
});
