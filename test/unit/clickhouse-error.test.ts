import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClickHouseError,
  parseClickHouseError,
  toWarehouseError,
} from '../../src/warehouse/clickhouse-error.ts';

test('parses modern exception text with the type name', () => {
  const error = parseClickHouseError(
    'Code: 60. DB::Exception: Table dema.nope does not exist. (UNKNOWN_TABLE) (version 26.7.2.1 (official build))',
  );
  assert.ok(error instanceof ClickHouseError);
  assert.equal(error.clickhouseCode, 60);
  assert.equal(error.clickhouseType, 'UNKNOWN_TABLE');
  assert.match(error.message, /Table dema.nope does not exist\.$/);
  assert.match(error.hint ?? '', /creates it/);
});

test('parses 18.x exception text and names the code from the known list', () => {
  const error = parseClickHouseError(
    'Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1, e.what() = DB::Exception',
  );
  assert.equal(error?.clickhouseCode, 62);
  assert.equal(error?.clickhouseType, 'SYNTAX_ERROR');
  assert.equal(error?.message, 'ClickHouse error 62 (SYNTAX_ERROR): Syntax error: failed at position 1');
});

test('finds the exception at the end of a streamed 200 body', () => {
  const body =
    '{"a":1}\n{"a":2}\nCode: 395. DB::Exception: Value passed to \'throwIf\' function is non-zero. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO)';
  const error = parseClickHouseError(body);
  assert.equal(error?.clickhouseCode, 395);
  assert.equal(error?.clickhouseType, 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO');
});

test('unknown text stays a plain warehouse error', () => {
  assert.equal(parseClickHouseError('socket hang up'), undefined);
  const wrapped = toWarehouseError(new Error('socket hang up'));
  assert.equal(wrapped.code, 'WAREHOUSE_QUERY');
  assert.ok(!(wrapped instanceof ClickHouseError));
});

// Names with digits and underscores (S3_ERROR, CANNOT_PARSE_IPV4) and multi-digit codes, in both
// formats: a parser that keeps only letters reads S3_ERROR as UNKNOWN, and this catches it.
const MODERN_CASES: [number, string][] = [
  [499, 'S3_ERROR'],
  [441, 'CANNOT_PARSE_IPV4'],
  [1002, 'UNKNOWN_EXCEPTION'],
  [36, 'BAD_ARGUMENTS'],
  [9, 'SIZES_OF_COLUMNS_DOESNT_MATCH'],
];

for (const [code, name] of MODERN_CASES)
  test(`modern text: code ${code} is named ${name}`, () => {
    for (const suffix of ['', ' (version 24.3.1.2672 (official build))']) {
      const error = parseClickHouseError(
        `Code: ${code}. DB::Exception: Failed at step 2 of 3 (S3 bucket x1). (${name})${suffix}`,
      );
      assert.equal(error?.clickhouseCode, code);
      assert.equal(error?.clickhouseType, name);
      assert.equal(
        error?.message,
        `ClickHouse error ${code} (${name}): Failed at step 2 of 3 (S3 bucket x1).`,
      );
    }
  });

// 18.16 prints no name: the multi-digit code must survive whole, and names come from the table.
const LEGACY_CASES: [number, string][] = [
  [499, 'S3_ERROR'],
  [60, 'UNKNOWN_TABLE'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [516, 'AUTHENTICATION_FAILED'],
  [4242, 'UNKNOWN'],
];

for (const [code, name] of LEGACY_CASES)
  test(`18.16 text: code ${code} is named ${name}`, () => {
    // As the 18.16 server on the test machine prints it (see warehouse-conformance for the live one).
    const error = parseClickHouseError(
      `Code: ${code}, e.displayText() = DB::Exception: Table system.t_2 doesn't exist (S3 part 10)., e.what() = DB::Exception`,
    );
    assert.equal(error?.clickhouseCode, code);
    assert.equal(error?.clickhouseType, name);
    assert.equal(
      error?.message,
      `ClickHouse error ${code} (${name}): Table system.t_2 doesn't exist (S3 part 10).`,
    );
  });

test('modern text from a server that prints no name (21.x) is named from the table', () => {
  const error = parseClickHouseError(
    "Code: 60. DB::Exception: Table default.x doesn't exist. (version 21.3.20.1 (official build))",
  );
  assert.equal(error?.clickhouseType, 'UNKNOWN_TABLE');
  assert.equal(error?.message, "ClickHouse error 60 (UNKNOWN_TABLE): Table default.x doesn't exist.");
});

test('"Code: N." without an exception after it is not a ClickHouse error', () => {
  assert.equal(parseClickHouseError('proxy said: Code: 12. try again later'), undefined);
  assert.equal(parseClickHouseError('Code: 12, something else'), undefined);
});

test('toWarehouseError: a ClickHouse exception keeps its SQL; a dema error passes through; anything else keeps its cause', () => {
  const sql = 'SELECT * FROM nope';
  const parsed = toWarehouseError(
    new Error("Code: 60. DB::Exception: Table dema.nope doesn't exist. (UNKNOWN_TABLE)"),
    sql,
  );
  assert.ok(parsed instanceof ClickHouseError);
  assert.equal(parsed.code, 'WAREHOUSE_QUERY');
  assert.equal(parsed.name, 'ClickHouseError');
  assert.equal(parsed.sql, sql);
  assert.equal(toWarehouseError(parsed), parsed);
  const original = new Error('socket hang up');
  const wrapped = toWarehouseError(original, sql);
  assert.equal(wrapped.cause, original);
  assert.equal(wrapped.message, 'socket hang up');
  assert.equal(toWarehouseError('plain text').message, 'plain text');
});
