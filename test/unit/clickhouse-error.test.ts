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
