import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactOutput, nodeLine } from '../../src/cli/compact.ts';
import type { Output } from '../../src/cli/output.ts';
import {
  demaCommand,
  failureOf,
  nextCommands,
  type PipelineReport,
  renderReport,
} from '../../src/cli/report.ts';

const report: PipelineReport = {
  ok: false,
  failure: 'build failed: 1 node errored, 2 skipped — int_order_lines',
  steps: [
    { name: 'ingest', status: 'ok', seconds: 1.25 },
    { name: 'build', status: 'failed', seconds: 3.04 },
  ],
  sources: [
    { source: 'inventory', status: 'skipped', rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, loadId: 'L1' },
    {
      source: 'orders',
      status: 'loaded',
      rowsRead: 20_010,
      rowsLoaded: 20_000,
      rowsRejected: 10,
      loadId: 'L2',
    },
  ],
  build: {
    models: { pass: 5, warn: 0, error: 1, skip: 2, total: 8 },
    tests: { pass: 39, warn: 1, error: 0, skip: 0, total: 40 },
    failing: [
      {
        uniqueId: 'model.dema.int_order_lines',
        status: 'error',
        message: `Unknown identifier: no_such_column\n${'x'.repeat(200)}`,
      },
    ],
  },
  marts: [
    {
      title: 'Orders and revenue by channel (mart_marketing__campaign_per_month)',
      month: '2023-06',
      columns: ['currency', 'channel', 'orders', 'revenue'],
      rows: [
        ['EUR', 'google', 24, 87736.06],
        ['EUR', 'a-channel-name-much-longer-than-twenty-four', 3, 1000],
        ['SEK', 'partner', 1022, 1280609.4],
      ],
    },
  ],
  next: ['dema serve', 'dema rejects'],
};

const GOLDEN = `
── dema pipeline: FAILED ──
ingest ok in 1.3s
  inventory: skipped (same file already loaded by L1)
  orders: 20,000 rows loaded, 10 rejected
build  failed in 3.0s
  models 8 (pass 5, warn 0, error 1, skip 2)
  tests  40 (pass 39, warn 1, error 0, skip 0)
  ERROR model.dema.int_order_lines: Unknown identifier: no_such_column

Orders and revenue by channel (mart_marketing__campaign_per_month) — 2023-06
  currency  channel                   orders       revenue
  EUR       google                        24     87,736.06
  EUR       a-channel-name-much-lon…       3      1,000.00
  SEK       partner                    1,022  1,280,609.40

build failed: 1 node errored, 2 skipped — int_order_lines

Next:
  dema serve
  dema rejects`;

test('renderReport: golden output (steps, sources, counts, failing node, a mart per currency)', () => {
  assert.equal(renderReport(report).join('\n'), GOLDEN);
});

test('renderReport: no line over 100 characters, however long the message or name', () => {
  const long: PipelineReport = {
    ...report,
    failure: `ingest failed: ${'y'.repeat(300)}`,
    sources: [{ ...report.sources[0]!, status: 'failed', error: 'z'.repeat(300) }],
  };
  for (const line of renderReport(long)) assert.ok(line.length <= 100, line);
});

test('failureOf names the failing step: ingest before build; tests and nodes counted apart', () => {
  const ok = { source: 'o', status: 'loaded', rowsRead: 1, rowsLoaded: 1, rowsRejected: 0 } as const;
  const failed = { ...ok, status: 'failed', error: '[INGEST_HEADER] bad header' } as const;
  const build = {
    models: { pass: 1, warn: 0, error: 1, skip: 1, total: 3 },
    tests: { pass: 0, warn: 0, error: 1, skip: 0, total: 1 },
    failing: [
      { uniqueId: 'model.p.a', status: 'error', message: '' },
      { uniqueId: 'test.p.not_null_a_id.123', status: 'fail', message: '' },
    ],
  };
  assert.equal(
    failureOf([failed], undefined),
    'ingest failed: 1 source failed — o [INGEST_HEADER] bad header',
  );
  assert.match(failureOf([failed, ok], build)!, /^ingest failed/);
  assert.equal(
    failureOf([ok], build),
    'build failed: 1 node errored, 1 test failed, 1 skipped — a, not_null_a_id',
  );
  const warnOnly = { ...build, failing: [], models: { ...build.models, error: 0, skip: 0 } };
  assert.equal(failureOf([ok], warnOnly), undefined, 'warnings do not fail');
});

test('nodeLine: one line per passing node, ≤ 100 characters; errors cut with a pointer', () => {
  const base = {
    type: 'dbt.node.done',
    index: 7,
    total: 147,
    uniqueId: 'test.p.x',
    seconds: 0.5,
  } as const;
  const pass = nodeLine(
    { ...base, description: `test ${'n'.repeat(150)}`, status: 'pass', message: 'PASS' },
    '12:00:00',
  );
  assert.equal(pass.length, 1);
  assert.equal(pass[0]!.length, 100);
  assert.match(pass[0]!, /^12:00:00 {3}7\/147 PASS {2}test n+… 0\.50s$/);
  const error = nodeLine(
    { ...base, description: 'sql table model p.x', status: 'error', message: `boom\n${'m'.repeat(300)}` },
    '12:00:00',
  );
  assert.equal(error[0], '12:00:00   7/147 ERROR sql table model p.x 0.50s');
  assert.equal(error[1]!.length, 100);
  assert.match(error[1]!, /^ {4}boom m+ … \(target\/run_results\.json\)$/);
  const ok = nodeLine({ ...base, description: 'seed file p.c', status: 'success', message: 'INSERT 6' }, 't');
  assert.deepEqual(ok, ['t   7/147 OK    seed file p.c [INSERT 6] 0.50s']);
});

function fakeOutput(json = false) {
  const lines: string[] = [];
  const passed: string[] = [];
  const output: Output = {
    json,
    color: false,
    line: (text) => lines.push(text),
    write: () => {},
    error: () => {},
    reporter: { emit: (e) => passed.push(e.type) },
  };
  return { output, lines, passed };
}

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return {
    written,
    stream: { isTTY, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream,
  };
}

const start = {
  type: 'dbt.node.start',
  index: 1,
  total: 2,
  uniqueId: 'model.p.slow',
  description: 'sql table model p.slow',
} as const;
const done = { ...start, type: 'dbt.node.done', status: 'success', message: 'OK', seconds: 2.5 } as const;

test('compactOutput: a running node ticks every second on a terminal, and the line is cleared', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const { output, lines } = fakeOutput();
  const { written, stream } = fakeStream(true);
  const compact = compactOutput(output, false, stream);
  compact.reporter.emit(start);
  t.mock.timers.tick(1000);
  t.mock.timers.tick(1000);
  assert.deepEqual(written, [
    '\r\u001b[2Krunning sql table model p.slow 1s',
    '\r\u001b[2Krunning sql table model p.slow 2s',
  ]);
  compact.reporter.emit(done);
  assert.equal(written.at(-1), '\r\u001b[2K', 'cleared before the node line');
  assert.equal(lines.length, 1);
  t.mock.timers.tick(3000);
  assert.equal(written.length, 3, 'no tick once nothing runs');
});

test('compactOutput: no ticker off a terminal; JSON output is left whole', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const { output, lines } = fakeOutput();
  const { written, stream } = fakeStream(false);
  const compact = compactOutput(output, false, stream);
  compact.reporter.emit(start);
  t.mock.timers.tick(3000);
  compact.reporter.emit(done);
  assert.deepEqual(written, []);
  assert.equal(lines.length, 1);
  const json = fakeOutput(true);
  const tty = fakeStream(true);
  assert.equal(compactOutput(json.output, false, tty.stream), json.output);
});

test('compactOutput: a load ClickHouse parses itself ticks until it ends, a progress bar or an error', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const { output, lines } = fakeOutput();
  const { written, stream } = fakeStream(true);
  const compact = compactOutput(output, false, stream);
  const load = {
    type: 'load.start',
    source: 'orders',
    merchant: 'm',
    loadId: 'L1',
    bytes: 3_000_000,
  } as const;
  compact.reporter.emit(load);
  // The archive copy comes after load.start: its bar pauses the ticker, its end resumes it.
  compact.reporter.emit({ type: 'fetch.progress', source: 'orders', bytesDone: 1, bytesTotal: 2 });
  t.mock.timers.tick(3000);
  assert.deepEqual(written, []);
  compact.reporter.emit({ type: 'fetch.done', source: 'orders', path: 'p', sha256: 's', bytes: 2 });
  t.mock.timers.tick(1000);
  t.mock.timers.tick(1000);
  assert.deepEqual(written, [
    '\r\u001b[2Krunning load orders (3.0 MB) 1s',
    '\r\u001b[2Krunning load orders (3.0 MB) 2s',
  ]);
  compact.reporter.emit({
    type: 'load.done',
    source: 'orders',
    merchant: 'm',
    loadId: 'L1',
    rowsRead: 5,
    rowsLoaded: 5,
    rowsRejected: 0,
    elapsedMs: 2000,
  });
  t.mock.timers.tick(3000);
  assert.equal(written.length, 3, 'cleared once, then no tick');
  assert.match(lines.at(-1) ?? '', /^loaded orders \(m\): 5 rows/);

  compact.reporter.emit({ ...load, loadId: 'L2' });
  t.mock.timers.tick(1000);
  compact.error('error orders: broken');
  t.mock.timers.tick(3000);
  assert.equal(written.at(-1), '\r\u001b[2K', 'an error stops the ticker');
  compact.reporter.emit({ ...load, loadId: 'L3' });
  compact.reporter.emit({
    type: 'load.progress',
    source: 'orders',
    bytesDone: 1,
    bytesTotal: 2,
    rows: 1,
    rejected: 0,
  });
  const before = written.length;
  t.mock.timers.tick(3000);
  assert.equal(written.length, before, 'a progress bar takes over');
});

test('the next commands are typed as the user can run them: npx dema after npm start or npx', () => {
  assert.equal(demaCommand({ npm_lifecycle_event: 'start' }), 'npx dema');
  assert.equal(demaCommand({ npm_lifecycle_event: 'npx' }), 'npx dema');
  assert.equal(demaCommand({}), 'dema');
  const next = nextCommands([], [], 'npx dema');
  assert.deepEqual(next, [
    'npx dema query "SHOW TABLES"',
    'npx dema docs generate && npx dema docs serve',
    'npx dema serve',
    'npx dema runs',
  ]);
});
