import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { duration, escapeHtml, link, navBar } from '../../src/web/layout.ts';
import { cellText, nodeSummary } from '../../src/web/runs.ts';

const ALPHABET = ['<', '>', '&', '"', "'", 'a', ' ', '=', '/', 'é', '&amp;', '\n', '`', '#', '?'];
function randomText(seed: number): string {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  return Array.from({ length: next() % 24 }, () => ALPHABET[next() % ALPHABET.length]).join('');
}

test('escapeHtml: Python html.unescape gives the text back, and no markup character is left', () => {
  const texts = Array.from({ length: 300 }, (_, i) => randomText(i + 1));
  const escaped = texts.map(escapeHtml);
  for (const e of escaped) assert.doesNotMatch(e, /[<>"']/);
  const python = spawnSync(
    'python3',
    ['-c', 'import html, json, sys; print(json.dumps([html.unescape(t) for t in json.load(sys.stdin)]))'],
    { input: JSON.stringify(escaped), encoding: 'utf8' },
  );
  assert.equal(python.status, 0, python.stderr);
  assert.deepEqual(JSON.parse(python.stdout), texts);
});

test('links keep the token (any characters), and the nav bar links every page with it', () => {
  for (const token of ['t', 'a&b=c', '"><script>', ' é ü+/ ']) {
    const href = link('/runs/x', token, { node: 'test.a"b' });
    const url = new URL(
      href
        .replaceAll('&amp;', '&')
        .replaceAll('&quot;', '"')
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&#39;', "'"),
      'http://h',
    );
    assert.equal(url.searchParams.get('token'), token);
    assert.equal(url.searchParams.get('node'), 'test.a"b');
    const nav = navBar('runs', token);
    assert.equal(nav.match(/href="/g)?.length, 4);
    assert.equal(nav.match(/aria-current/g)?.length, 1);
  }
  assert.equal(link('/runs', undefined), '/runs');
});

test('durations, cells and node summaries read as shown on the pages', () => {
  assert.deepEqual([0, 1234, 59_949, 60_000, 125_000, 3_600_000 + 61_000].map(duration), [
    '0.0s',
    '1.2s',
    '59.9s',
    '1m 0s',
    '2m 5s',
    '1h 1m',
  ]);
  assert.deepEqual([null, 3, 'x', [1, 'a'], { a: 1 }].map(cellText), [
    'NULL',
    '3',
    'x',
    '[1,"a"]',
    '{"a":1}',
  ]);
  const node = (resource_type: string, status: string) =>
    ({ resource_type, status }) as Parameters<typeof nodeSummary>[0][number];
  assert.deepEqual(
    nodeSummary([node('test', 'pass'), node('model', 'success'), node('test', 'fail'), node('test', 'pass')]),
    ['test: 2 pass, 1 fail', 'model: 1 success'],
  );
});
