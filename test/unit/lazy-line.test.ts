import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atLazyLine } from '../../src/dbt/compile/lazy-line.ts';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

/**
 * Templates from YAML render at line 0 first (lazy-line.ts); a failure still names the YAML line of
 * its entry, as when the line was found up front.
 */

const TARGET = { schema: 'analytics', name: 'dev', type: 'clickhouse' };

function parseError(t: Parameters<typeof tempDir>[0], schemaYml: string): string {
  const dir = tempDir(t);
  writeFiles(dir, {
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id\n',
    'models/b.sql': 'select 1 as id\n',
    'models/schema.yml': schemaYml,
  });
  try {
    parseProject({ projectDir: dir, target: TARGET, cliVars: {}, env: {} });
  } catch (error) {
    assert.ok(error instanceof DemaError, String(error));
    return error.message;
  }
  return 'parsed';
}

test('a broken test argument or source schema template names its YAML line', (t) => {
  const testArgument = (to: string) =>
    `version: 2\n\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - relationships:\n              to: ${to}\n              field: id\n`;
  assert.match(parseError(t, testArgument("ref('b' +)")), /^models\/schema\.yml:4: unexpected '\)'/);
  assert.equal(parseError(t, testArgument("ref('b')")), 'parsed');
  const source = (schema: string) =>
    `version: 2\nsources:\n  - name: raw\n    schema: "${schema}"\n    tables:\n      - name: t\n      - name: u\n`;
  assert.match(parseError(t, source('{{ target.schema ~ }}')), /^models\/schema\.yml:6: unexpected '}}'/);
  assert.equal(parseError(t, source('{{ target.schema }}')), 'parsed');
});

test('atLazyLine: line 0 first, the real line only after a failure', () => {
  const asked: number[] = [];
  const lineOf = () => {
    asked.push(1);
    return 7;
  };
  assert.equal(
    atLazyLine((offset) => `at ${offset}`, lineOf),
    'at 0',
  );
  assert.deepEqual(asked, [], 'no line is looked up when rendering works');
  assert.throws(
    () =>
      atLazyLine((offset) => {
        throw new Error(`failed at ${offset}`);
      }, lineOf),
    /failed at 6/,
  );
  // No line known: the failure is rendered again at line 0 and thrown as it is.
  assert.throws(
    () =>
      atLazyLine(() => {
        throw new Error('no line');
      }, undefined),
    /no line/,
  );
});
