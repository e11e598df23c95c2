import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvRecordScanner, parseHeader, type ScanOutput } from '../../src/ingest/csv-scanner.ts';

const LIMITS = { maxRecordBytes: 64, maxRecordLines: 3 };

/** Scans `bytes` cut at the given positions (sorted, inside the buffer). */
function scanCut(bytes: Buffer, fields: number, cuts: readonly number[]) {
  const scanner = new CsvRecordScanner(fields, 2, { ...LIMITS, firstOffset: 10 });
  const outputs: ScanOutput[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    outputs.push(scanner.push(bytes.subarray(from, cut)));
    from = cut;
  }
  outputs.push(scanner.end());
  return {
    good: Buffer.concat(outputs.flatMap((o) => o.chunks)).toString(),
    count: outputs.reduce((n, o) => n + o.goodRecords, 0),
    rejects: outputs.flatMap((o) => o.rejects),
    lines: scanner.linesScanned,
  };
}

function scanAll(text: Buffer | string, fields: number, pieceSize?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const cuts: number[] = [];
  if (pieceSize) for (let at = pieceSize; at < bytes.length; at += pieceSize) cuts.push(at);
  return scanCut(bytes, fields, cuts);
}

const CLEAN = 'a,b,""\n"x, y","say ""hi""",3\n"multi\nline",q,r\n';

/** Every kind of record and defect, to be cut everywhere. */
const TRICKY = Buffer.concat([
  Buffer.from(
    'a,b,c\r\n\\N, x ,\t"q"\n"abc" ,x,y\n"open,1,2\nn,1,2\n\n"a\nb",1\nlo\rne,1,2\nok,2,3\r\r\n"m\r\nl",""""," "\n',
  ),
  Buffer.from([0x62, 0xff, 0x2c, 0x31, 0x2c, 0x32, 0x0a]),
  Buffer.from(`${'x'.repeat(90)},1,2\n"${'y'.repeat(70)}",1,2\n27" monitor,1,2\nend,"x",z`),
]);

test('good records are re-emitted unchanged with their line number first', () => {
  const result = scanAll(CLEAN, 3);
  assert.equal(result.count, 3);
  assert.deepEqual(result.rejects, []);
  assert.equal(result.good, '2,a,b,""\n3,"x, y","say ""hi""",3\n4,"multi\nline",q,r\n');
});

test('the result does not depend on where chunks are cut: every split position, every piece size', () => {
  const whole = scanAll(TRICKY, 3);
  for (let cut = 1; cut < TRICKY.length; cut++)
    assert.deepEqual(scanCut(TRICKY, 3, [cut]), whole, `cut at ${cut}`);
  for (let size = 1; size <= 9; size++)
    assert.deepEqual(scanAll(TRICKY, 3, size), whole, `piece size ${size}`);
});

test('every physical line belongs to exactly one good or rejected record', () => {
  const result = scanAll(TRICKY, 3);
  const starts = [...result.good.matchAll(/^(\d+),/gm)].map((m) => Number(m[1]));
  const covered = new Map<number, string>();
  for (const r of result.rejects)
    for (let line = r.line; line <= r.lastLine; line++) covered.set(line, `reject ${r.line}`);
  // A good record runs from its first line up to the line before the next record.
  const firsts = [...starts, ...result.rejects.map((r) => r.line)].sort((a, b) => a - b);
  for (const start of starts) {
    const next = firsts.find((line) => line > start) ?? 2 + result.lines;
    for (let line = start; line < next; line++) {
      assert.ok(!covered.has(line), `line ${line} twice`);
      covered.set(line, `good ${start}`);
    }
  }
  assert.deepEqual(
    [...covered.keys()].sort((a, b) => a - b),
    Array.from({ length: result.lines }, (_, i) => i + 2),
  );
  assert.equal(result.lines, TRICKY.toString('latin1').split('\n').length);
});

test('the rule: which records load, and which lines each reject covers', () => {
  const result = scanAll(TRICKY, 3);
  assert.equal(
    result.good,
    [
      '2,a,b,c',
      '3,"\\N"," x ","\t""q"""',
      '6,n,1,2',
      '11,ok,2,3',
      '12,"m\r\nl",""""," "',
      '17,27" monitor,1,2',
      '18,end,"x",z',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    result.rejects.map((r) => [r.line, r.lastLine, r.reason]),
    [
      [4, 4, 'broken quoting: text after the closing quote of field 1'],
      [5, 5, 'record spans more than 3 lines (max_record_lines)'],
      [7, 7, 'empty line'],
      [8, 9, 'expected 3 fields, found 2'],
      [10, 10, 'broken quoting: carriage return inside unquoted field 1'],
      [14, 14, 'invalid UTF-8'],
      [15, 15, 'record longer than 64 bytes (max_record_bytes)'],
      [16, 16, 'record longer than 64 bytes (max_record_bytes)'],
    ],
  );
  const multi = result.rejects[3]!;
  assert.equal(multi.raw, '"a\nb",1');
  assert.equal(TRICKY.toString('utf8', multi.offset - 10, multi.offset - 10 + multi.bytes), multi.raw);
});

test('an over-long line streamed in small pieces is one reject; the lines after it keep their numbers', () => {
  const long = `"${'z'.repeat(1000)}\r\n`;
  const input = `a,1,2\n${long}b,1,2\n"c\nd",1,2\n`;
  for (const size of [1, 7, 64, 300, 5000]) {
    const result = scanAll(input, 3, size);
    assert.equal(result.good, '2,a,1,2\n4,b,1,2\n5,"c\nd",1,2\n', `piece size ${size}`);
    assert.equal(result.rejects.length, 1);
    const [reject] = result.rejects;
    assert.deepEqual([reject!.line, reject!.lastLine, reject!.offset, reject!.bytes], [3, 3, 16, 1001]);
    assert.equal(reject!.raw.length, 64);
    assert.equal(result.lines, 5);
  }
});

test('a stray quote costs one line, not the lines up to the next quote in the file', () => {
  const lines = [
    'ok,1,2',
    'bad,"stray,1',
    ...Array.from({ length: 20 }, (_, i) => `r${i},1,2`),
    'x,27" tv,3',
  ];
  const result = scanAll(`${lines.join('\n')}\n`, 3);
  assert.deepEqual(
    result.rejects.map((r) => [r.line, r.lastLine]),
    [[3, 3]],
  );
  assert.equal(result.count, lines.length - 1);
});

test('fields ClickHouse would misread unquoted are re-quoted; quoted fields are left alone', () => {
  const result = scanAll('\\N,"\\N",\\N\\N\n a,b ,"c"\n\ta,x"y,\\N\r\n', 3);
  assert.equal(result.good, '2,"\\N","\\N",\\N\\N\n3," a","b ","c"\n4,"\ta",x"y,"\\N"\n');
});

test('header names are split, unquoted, trimmed and stripped of a BOM', () => {
  assert.deepEqual(parseHeader('\uFEFForderId,"product Id", amount'), ['orderId', 'product Id', 'amount']);
});

test('limits are inclusive: a record of exactly max_record_lines lines or max_record_bytes bytes loads', () => {
  const exact = [
    `"${'a'.repeat(58)}",1,2`, // 64 bytes, quoted
    `${'b'.repeat(60)},1,2`, // 64 bytes, unquoted
    '"l1\nl2\nl3",1,2', // 3 lines
  ];
  const over = [`"${'a'.repeat(59)}",1,2`, `${'b'.repeat(61)},1,2`, '"l1\nl2\nl3\nl4",1,2'];
  // The length counts every byte before the line feed, a CR too.
  const input = `${[...exact, ...over, `${'c'.repeat(60)},1,2`].join('\n')}\r\n`;
  const whole = scanAll(input, 3);
  // After the over-long record's first line, `l2` and `l3` are records of their own; `l4",1,2` loads.
  assert.equal(whole.count, 4);
  assert.deepEqual(
    whole.rejects.map((r) => [r.line, r.reason.replace(/ \(.*/, '')]),
    [
      [7, 'record longer than 64 bytes'],
      [8, 'record longer than 64 bytes'],
      [9, 'record spans more than 3 lines'],
      [10, 'expected 3 fields, found 1'],
      [11, 'expected 3 fields, found 1'],
      [13, 'record longer than 64 bytes'],
    ],
  );
  for (let cut = 1; cut < input.length; cut++) assert.deepEqual(scanCut(Buffer.from(input), 3, [cut]), whole);
});

test('CRs after a closing quote: part of the line ending, or a quoting error', () => {
  const result = scanAll('"a",1,"b"\r\r\n"c",2,"d"\r\n"e",3,"f"\rx\n"g",4,"h"\r', 3);
  assert.equal(result.good, '2,"a",1,"b"\n3,"c",2,"d"\n5,"g",4,"h"\n');
  assert.deepEqual(
    result.rejects.map((r) => [r.line, r.reason]),
    [[4, 'broken quoting: carriage return after the closing quote of field 3']],
  );
});

test('output that grows beyond its first buffer (re-quoted fields, long line numbers) keeps every byte', () => {
  const lines = Array.from({ length: 1500 }, () => ' , ,\t');
  const result = scanAll(`${lines.join('\n')}\n`, 3);
  const expected = lines.map((_, i) => `${i + 2}," "," ","\t"\n`).join('');
  assert.equal(result.good, expected);
});

test('default limits: 1000 lines, 1 MiB', () => {
  const scanner = new CsvRecordScanner(1, 2);
  const lines = `"${'\n'.repeat(999)}"\n"${'\n'.repeat(1000)}"\n`;
  const out = [scanner.push(Buffer.from(lines)), scanner.end()];
  assert.equal(out[0]!.goodRecords, 1);
  assert.deepEqual(
    out
      .flatMap((o) => o.rejects)
      .filter((r) => r.reason !== 'empty line')
      .map((r) => [r.line, r.reason]),
    [
      [1002, 'record spans more than 1000 lines (max_record_lines)'],
      // Read again from the next line on, the closing quote opens a field that never closes.
      [2002, 'broken quoting: unterminated quoted field'],
    ],
  );
  const long = new CsvRecordScanner(1, 2);
  const bytes = [
    long.push(Buffer.from(`${'x'.repeat(1 << 20)}\n${'y'.repeat((1 << 20) + 1)}\n`)),
    long.end(),
  ];
  assert.deepEqual(
    bytes.flatMap((o) => o.rejects).map((r) => [r.line, r.reason]),
    [[3, 'record longer than 1048576 bytes (max_record_bytes)']],
  );
});

test('re-quoting a record copies its quoted fields exactly and quotes only what needs it', () => {
  const result = scanAll('\\N,"a""b",""""\nb\t,aN,\\x\n"",\\N,"x,""y"""\n', 3);
  assert.equal(result.good, '2,"\\N","a""b",""""\n3,"b\t",aN,\\x\n4,"","\\N","x,""y"""\n');
});

test('a broken last line without a line feed is rejected whole, with its bytes', () => {
  for (const size of [undefined, 1, 4]) {
    const result = scanAll('a,1,2\n"abc" x,1,2\r', 3, size);
    assert.equal(result.good, '2,a,1,2\n');
    assert.deepEqual(
      result.rejects.map((r) => [r.line, r.lastLine, r.offset, r.bytes, r.raw]),
      [[3, 3, 16, 11, '"abc" x,1,2']],
    );
  }
});
