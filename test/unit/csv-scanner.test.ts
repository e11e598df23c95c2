import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvRecordScanner, parseHeader, type ScanOutput } from '../../src/ingest/csv-scanner.ts';

function scanAll(text: Buffer | string, fields: number, pieceSize?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const scanner = new CsvRecordScanner(fields, 2, { maxRecordBytes: 64 });
  const outputs: ScanOutput[] = [];
  const step = pieceSize ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) outputs.push(scanner.push(bytes.subarray(i, i + step)));
  outputs.push(scanner.end());
  return {
    good: Buffer.concat(outputs.flatMap((o) => o.chunks)).toString(),
    count: outputs.reduce((n, o) => n + o.goodRecords, 0),
    rejects: outputs.flatMap((o) => o.rejects),
  };
}

const CLEAN = 'a,b,""\n"x, y","say ""hi""",3\n"multi\nline",q,r\n';

test('good records are re-emitted unchanged with their line number first', () => {
  const result = scanAll(CLEAN, 3);
  assert.equal(result.count, 3);
  assert.deepEqual(result.rejects, []);
  assert.equal(result.good, '2,a,b,""\n3,"x, y","say ""hi""",3\n4,"multi\nline",q,r\n');
});

test('the result does not depend on where chunks are cut', () => {
  const whole = scanAll(CLEAN, 3);
  for (const size of [1, 2, 3, 5, 7]) assert.deepEqual(scanAll(CLEAN, 3, size), whole, `piece size ${size}`);
});

test('a last record without a newline and CRLF endings are handled', () => {
  const result = scanAll('a,b,c\r\nd,e,f', 3);
  assert.equal(result.good, '2,a,b,c\n3,d,e,f\n');
});

test('bad rows are rejected with their line and reason; good rows around them load', () => {
  const input = Buffer.concat([
    Buffer.from('ok,1,2\nmissing,1\ntoo,many,fields,here\n"x"y,1,2\n\n'),
    Buffer.from([0x62, 0xff, 0x2c, 0x31, 0x2c, 0x32, 0x0a]),
    Buffer.from('last,1,2\n'),
  ]);
  const result = scanAll(input, 3);
  assert.equal(result.good, '2,ok,1,2\n8,last,1,2\n');
  assert.deepEqual(
    result.rejects.map((r) => [r.line, r.reason]),
    [
      [3, 'expected 3 fields, found 2'],
      [4, 'expected 3 fields, found 4'],
      [5, 'broken quoting: text after the closing quote of field 1'],
      [6, 'empty line'],
      [7, 'invalid UTF-8'],
    ],
  );
  assert.equal(result.rejects[0]?.raw, 'missing,1');
});

test('an unterminated quote rejects one line and scanning resumes on the next', () => {
  const long = 'x'.repeat(80);
  const result = scanAll(`a,"open,${long}\nb,1,2\nc,3,4\n`, 3);
  assert.equal(result.rejects[0]?.line, 2);
  assert.equal(result.rejects[0]?.reason, 'broken quoting: unterminated quoted field');
  assert.equal(result.good, '3,b,1,2\n4,c,3,4\n');
});

test('header names are split, unquoted, trimmed and stripped of a BOM', () => {
  assert.deepEqual(parseHeader('\uFEFForderId,"product Id", amount'), ['orderId', 'product Id', 'amount']);
});
