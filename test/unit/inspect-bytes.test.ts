import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ByteInspector, dataLines, inspectFile } from '../../src/ingest/inspect-bytes.ts';

/** Feeds `bytes` in chunks of every size from 1 to `max`, and checks every split gives one answer. */
function inspectSplits(bytes: Buffer, max = 7) {
  const answers = [];
  for (let size = 1; size <= max; size++) {
    const inspector = new ByteInspector();
    const reused = Buffer.alloc(size);
    for (let at = 0; at < bytes.length; at += size) {
      // The caller may reuse its buffer: the inspector must not keep references to it.
      const n = bytes.copy(reused, 0, at, Math.min(at + size, bytes.length));
      inspector.update(reused.subarray(0, n));
    }
    answers.push(inspector.digest());
  }
  for (const answer of answers) assert.deepEqual(answer, answers[0]);
  return answers[0]!;
}

test('ByteInspector: hash, line feeds and UTF-8 are the same however the bytes are split', () => {
  const text = Buffer.from('id,name\n1,Å café\n2,日本\n3,ok', 'utf8');
  const facts = inspectSplits(text);
  assert.equal(facts.sha256, createHash('sha256').update(text).digest('hex'));
  assert.deepEqual(
    {
      bytes: facts.bytes,
      lineFeeds: facts.lineFeeds,
      endsWithLineFeed: facts.endsWithLineFeed,
      utf8: facts.utf8,
    },
    { bytes: text.length, lineFeeds: 3, endsWithLineFeed: false, utf8: true },
  );
  assert.equal(dataLines(facts), 3);
});

test('ByteInspector: invalid UTF-8 on any line is found, wherever the chunks end', () => {
  const bad = Buffer.concat([
    Buffer.from('id\n1\n'),
    Buffer.from([0x32, 0xc3, 0x28, 0x0a]),
    Buffer.from('4\n'),
  ]);
  const facts = inspectSplits(bad);
  assert.equal(facts.utf8, false);
  assert.equal(dataLines(facts), 3);
  const truncatedAtEnd = Buffer.concat([Buffer.from('id\n1\n'), Buffer.from([0xe6, 0x97])]);
  assert.equal(inspectSplits(truncatedAtEnd).utf8, false);
});

test('ByteInspector: a line longer than it checks is not proven UTF-8; a header alone has no data lines', () => {
  const inspector = new ByteInspector();
  const long = Buffer.alloc(1 << 19, 0x61);
  for (let i = 0; i < 3; i++) inspector.update(long);
  assert.equal(inspector.digest().utf8, false);
  assert.equal(dataLines(inspectSplits(Buffer.from('a,b\n'))), 0);
  assert.equal(dataLines(inspectSplits(Buffer.from('a,b'))), 0);
  assert.equal(dataLines(inspectSplits(Buffer.from('a,b\n1,2\n'))), 1);
});

test('ByteInspector: plain only when chDB would read every line as the scanner rule does; longest line', () => {
  const plain = inspectSplits(Buffer.from('a,b\n"x, y",1\r\n say ,"q""r"\nab"c,\\N1\n27" tv,""\nlast,1'));
  assert.equal(plain.plain, true);
  assert.equal(plain.longestLine, 12);
  for (const line of [
    '\\N,1',
    '1,\\N',
    '\n',
    '\r\n',
    'lo\rne,1',
    '"abc" ,1',
    '"open,1',
    '"multi\nline",1',
    '"a"x,1',
    'x,1\r\r',
  ]) {
    const facts = inspectSplits(Buffer.from(`a,b\nok,1\n${line}\nok,2\n`));
    assert.equal(facts.plain, false, JSON.stringify(line));
  }
});

test('ByteInspector: an empty chunk changes nothing (a final line feed stays the last byte)', () => {
  const text = Buffer.from('a,b\n1,2\n');
  const inspector = new ByteInspector();
  inspector.update(text);
  inspector.update(Buffer.alloc(0));
  assert.deepEqual(inspector.digest(), inspectSplits(text));
  assert.equal(dataLines(inspectSplits(text)), 1);
});

test('ByteInspector: a line of exactly 1 MiB is still checked; one byte more is not proven; many short lines always are', () => {
  const MiB = 1 << 20;
  for (const [length, utf8] of [
    [MiB, true],
    [MiB + 1, false],
  ] as const) {
    const inspector = new ByteInspector();
    const line = Buffer.alloc(length, 0x61);
    inspector.update(line.subarray(0, 1000));
    inspector.update(line.subarray(1000));
    inspector.update(Buffer.from('\nb\n'));
    const facts = inspector.digest();
    assert.equal(facts.utf8, utf8, `${length}`);
    assert.equal(facts.longestLine, length);
  }
  // 2 MiB of short lines, in chunks: every line is checked, none is carried for long.
  const inspector = new ByteInspector();
  const chunk = Buffer.from('1,é\n'.repeat(16 << 10));
  for (let i = 0; i < (2 * MiB) / chunk.length; i++) inspector.update(chunk);
  const facts = inspector.digest();
  assert.deepEqual([facts.utf8, facts.plain], [true, true]);
});

test('inspectFile: the same facts as one pass over the bytes, read in 4 MiB pieces, with progress to the end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dema-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = Buffer.from('id,name\n'.concat('42,Åsa\n'.repeat(1_300_000)));
  const path = join(dir, 'f.csv');
  writeFileSync(path, bytes);
  const progress: number[] = [];
  const facts = await inspectFile(path, (done) => progress.push(done));
  const whole = new ByteInspector();
  whole.update(bytes);
  assert.deepEqual(facts, whole.digest());
  assert.deepEqual(progress, [4 << 20, 8 << 20, bytes.length]);
});
