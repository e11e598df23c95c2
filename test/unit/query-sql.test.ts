import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveQuerySql } from '../../src/cli/commands/query.ts';
import { DemaError } from '../../src/errors.ts';

test('dema query: a missing .sql file named as the argument is a usage error naming it, not SQL', () => {
  assert.throws(
    () => resolveQuerySql('reports/nope.sql', undefined),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'USAGE' &&
      /Cannot read the SQL file reports\/nope\.sql/.test(error.message),
  );
  assert.equal(
    resolveQuerySql('SELECT 1 FROM t.sql', undefined),
    'SELECT 1 FROM t.sql',
    'a statement stays SQL',
  );
});
