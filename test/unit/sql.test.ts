import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bindParams,
  literal,
  qualified,
  quoteIdent,
  quoteString,
  settingsClause,
} from '../../src/warehouse/sql.ts';

test('identifiers are backtick-quoted with backticks and backslashes escaped', () => {
  assert.equal(quoteIdent('orders'), '`orders`');
  assert.equal(quoteIdent('we`ird\\name'), '`we\\`ird\\\\name`');
  assert.equal(qualified('dema', 'orders'), '`dema`.`orders`');
  assert.equal(qualified(undefined, 'orders'), '`orders`');
});

test('string values are single-quoted with quotes and backslashes escaped', () => {
  assert.equal(quoteString("O'Brien"), "'O\\'Brien'");
  assert.equal(quoteString('a\\b'), "'a\\\\b'");
  assert.equal(quoteString("'; DROP TABLE x; --"), "'\\'; DROP TABLE x; --'");
});

test('literals render every supported JS value', () => {
  assert.equal(literal(null), 'NULL');
  assert.equal(literal(12), '12');
  assert.equal(literal(12n), '12');
  assert.equal(literal(true), '1');
  assert.equal(literal(new Date('2023-02-01T17:12:52.123Z')), "'2023-02-01 17:12:52'");
  assert.equal(literal(['a', 1]), "['a', 1]");
  assert.throws(() => literal(Number.NaN), /cannot render/);
});

test('bindParams substitutes escaped values and leaves unknown placeholders', () => {
  assert.equal(
    bindParams('SELECT * FROM t WHERE a = {a} AND b = {b} AND c = {c}', { a: "x'y", b: 3 }),
    "SELECT * FROM t WHERE a = 'x\\'y' AND b = 3 AND c = {c}",
  );
});

test('settingsClause renders a SETTINGS clause or nothing', () => {
  assert.equal(settingsClause({}), '');
  assert.equal(
    settingsClause({ max_threads: 2, join_algorithm: 'hash', x: true }),
    " SETTINGS max_threads = 2, join_algorithm = 'hash', x = 1",
  );
});
