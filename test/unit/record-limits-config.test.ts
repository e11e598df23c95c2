import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/dema-config.ts';
import { DemaError } from '../../src/errors.ts';

const BASE = `targets:
  embedded: { type: chdb }
max_record_lines: 20
sources:
  - name: s
    location: s.csv
    table: s
    columns: [a]
    key: [a]
    max_record_bytes: 4096
`;

test('max_record_lines / max_record_bytes: top level and per source', () => {
  const config = parseConfig(BASE, 'dema.yml');
  assert.equal(config.max_record_lines, 20);
  assert.equal(config.sources[0]?.max_record_bytes, 4096);
});

test('a bad record limit names the file, line and key', () => {
  for (const [text, key] of [
    [BASE.replace('max_record_lines: 20', 'max_record_lines: 0'), 'max_record_lines'],
    [BASE.replace('max_record_bytes: 4096', 'max_record_bytes: 1.5'), 'max_record_bytes'],
    [BASE.replace('max_record_bytes: 4096', 'max_record_bytes: 2000000000'), 'max_record_bytes'],
  ] as const) {
    assert.throws(
      () => parseConfig(text, 'dema.yml'),
      (error: unknown) =>
        error instanceof DemaError && error.message.includes(key) && /dema\.yml:\d+/.test(error.message),
    );
  }
});
