import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/dema-config.ts';
import { DemaError } from '../../src/errors.ts';

/** Many shapes of dema.yml, each with its mistake on a known line: the message must name it. */

const SOURCE = (name: string, extra: string[] = []) => [
  `  - name: ${name}`,
  `    location: data/${name}.csv`,
  `    table: ${name}`,
  '    columns: [a, b]',
  '    key: [a]',
  ...extra,
];

function problem(lines: string[]): string {
  try {
    parseConfig(`${lines.join('\n')}\n`, 'dema.yml');
  } catch (error) {
    assert.ok(error instanceof DemaError);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('expected a configuration error');
}

const HEAD = ['# comment', 'target: t', 'targets:', '  t:', '    type: chdb', 'sources:'];

test('an unknown key names its own line, at any depth and after any number of lines', () => {
  for (let before = 0; before < 6; before++) {
    const sources = Array.from({ length: before }, (_, i) => SOURCE(`s${i}`)).flat();
    const lines = [...HEAD, ...sources, ...SOURCE('bad', ['    merchant: m', '    max_reject: 3'])];
    assert.match(
      problem(lines),
      new RegExp(
        `^Invalid configuration:\\n  dema\\.yml:${lines.length}: sources\\.${before}\\.max_reject: Unrecognized key`,
      ),
    );
  }
  const top = [...HEAD, ...SOURCE('a'), 'archive: data/raw'];
  assert.match(problem(top), new RegExp(`dema\\.yml:${top.length}: archive: Unrecognized key`));
  const target = ['target: t', 'targets:', '  t:', '    type: chdb', '    schema: x', '    paht: y'];
  assert.match(problem(target), /dema\.yml:6: targets\.t\.paht: Unrecognized key/);
});

test('a missing required key names the line of the mapping it belongs in', () => {
  for (const key of ['location', 'table', 'columns', 'key']) {
    const source = SOURCE('orders').filter((line) => !line.startsWith(`    ${key}:`));
    const lines = [...HEAD, ...SOURCE('inventory'), ...source];
    const line = HEAD.length + 5 + 1;
    assert.match(
      problem(lines),
      new RegExp(`dema\\.yml:${line}: sources\\.1\\.${key}: required key "${key}" is missing`),
    );
  }
  assert.match(
    problem(['target: t', 'sources: []']),
    /dema\.yml:1: targets: required key "targets" is missing/,
  );
});

test('a wrong value names its line; a duplicate source names the second one', () => {
  const ratio = [...HEAD, ...SOURCE('a', ['    max_reject_ratio: 2'])];
  assert.match(problem(ratio), new RegExp(`dema\\.yml:${ratio.length}: sources\\.0\\.max_reject_ratio:`));
  const twice = [...HEAD, ...SOURCE('a'), ...SOURCE('a')];
  assert.match(problem(twice), new RegExp(`dema\\.yml:${HEAD.length + 6}: source "a" is declared twice`));
});
