import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { PipelineReport } from '../../src/cli/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

/**
 * The pipeline's closing report, checked against what it summarises: the ledger (`dema loads`),
 * target/run_results.json, and the marts' source rows (int_order_lines) queried directly.
 */
const REPO_CONFIG = fileURLToPath(new URL('../../dema.yml', import.meta.url));
const REPO_PROJECT = fileURLToPath(new URL('../../project', import.meta.url));

type Row = Record<string, unknown>;

function project(dir: string, maxRejects = 0): void {
  writeFileSync(
    join(dir, 'dema.yml'),
    readFileSync(REPO_CONFIG, 'utf8').replace(/^max_rejects: 0$/m, `max_rejects: ${maxRejects}`),
  );
  cpSync(REPO_PROJECT, join(dir, 'project'), {
    recursive: true,
    filter: (source) => !source.includes('/target'),
  });
}

async function sample(dir: string, extra: string[] = []): Promise<void> {
  const gen = await runCli(
    ['generate', '--out', 'data/sample', '--lines', '3000', '--styles', '60', ...extra],
    {
      cwd: dir,
    },
  );
  assert.equal(gen.code, 0, gen.stderr);
}

async function query(dir: string, sql: string): Promise<Row[]> {
  const result = await runCli(['--json', 'query', sql], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
}

function assertShort(text: string): void {
  for (const line of text.split('\n')) assert.ok(line.length <= 100, `line over 100 characters: ${line}`);
}

/** The text report: from its header to the end. */
function reportOf(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  return lines.slice(lines.findIndex((l) => l.startsWith('── dema pipeline')));
}

const LATEST = (table: string) => `(SELECT max(month_start) FROM ${table})`;

test('pipeline report: its numbers are the ledger, run_results.json and the marts', async (t) => {
  const dir = tempDir(t);
  project(dir, 1000);
  // Two currencies (never summed together) and some malformed lines (rejected, within the budget).
  await sample(dir, ['--currencies', 'SEK,EUR', '--bad-rate', '0.01']);
  const run = await runCli(['--json', 'pipeline', '--sample'], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const reports = run.events.filter((e) => e.type === 'pipeline.report');
  assert.equal(reports.length, 1, 'one report event');
  assert.equal(run.events.at(-1)?.type, 'pipeline.report', 'the report is the last event');
  const report = reports[0]!.report as PipelineReport;
  assert.equal(report.ok, true);
  assert.equal(report.failure, undefined);

  // Sources = the ledger.
  const loads = (await runCli(['--json', 'loads'], { cwd: dir })).stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
  assert.equal(report.sources.length, 2);
  for (const s of report.sources) {
    const load = loads.find((l) => l.load_id === s.loadId)!;
    assert.ok(load, `load ${s.loadId} in the ledger`);
    assert.deepEqual(
      [s.source, s.rowsRead, s.rowsLoaded, s.rowsRejected],
      [load.source, Number(load.rows_read), Number(load.rows_loaded), Number(load.rows_rejected)],
    );
  }
  assert.ok(report.sources.find((s) => s.source === 'orders')!.rowsRejected > 0, 'some rows rejected');
  // `npx dema` when the tests run under npm (npm_lifecycle_event is inherited), else `dema`.
  assert.ok(
    report.next.some((c) => /^(npx )?dema rejects$/.test(c)),
    'rejects → the command to see them',
  );

  // Models and tests = run_results.json.
  const results = JSON.parse(readFileSync(join(dir, 'project/target/run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string }[];
  };
  const isTest = (id: string) => id.startsWith('test.') || id.startsWith('unit_test.');
  const tally = (ids: { unique_id: string; status: string }[]) => ({
    pass: ids.filter((r) => r.status === 'success' || r.status === 'pass').length,
    warn: ids.filter((r) => r.status === 'warn').length,
    error: ids.filter((r) => r.status === 'error' || r.status === 'fail').length,
    skip: ids.filter((r) => r.status === 'skipped').length,
    total: ids.length,
  });
  assert.deepEqual(report.build!.tests, tally(results.results.filter((r) => isTest(r.unique_id))));
  assert.deepEqual(report.build!.models, tally(results.results.filter((r) => !isTest(r.unique_id))));
  assert.ok(report.build!.tests.total > 10);

  // Marts = the order lines they are built from, aggregated here independently, per currency.
  const [finance, marketing] = report.marts;
  assert.ok(finance && marketing, 'both mart tables');
  const month = (await query(dir, `SELECT toString(max(month_start)) AS m FROM int_order_lines`))[0]!.m;
  assert.equal(finance.month, String(month).slice(0, 7));
  const fin = await query(
    dir,
    `SELECT currency, category, sub_category, round(sum(amount), 2) AS revenue,
       uniqExact(merchant, order_id, ordered_at) AS orders, sum(quantity) AS units
     FROM int_order_lines WHERE month_start = ${LATEST('int_order_lines')}
     GROUP BY currency, category, sub_category`,
  );
  const key = (...parts: unknown[]) => parts.map(String).join('|');
  const finBy = new Map(fin.map((r) => [key(r.currency, r.category, r.sub_category), r]));
  const currencies = new Set(finance.rows.map((r) => r[0]));
  assert.deepEqual([...currencies].sort(), ['EUR', 'SEK'], 'a table row per currency, never a total');
  for (const [currency, category, sub, revenue, orders, units] of finance.rows) {
    const want = finBy.get(key(currency, category, sub))!;
    assert.ok(want, `${currency} ${category} ${sub} exists`);
    assert.deepEqual(
      [revenue, orders, units],
      [Number(want.revenue), Number(want.orders), Number(want.units)],
    );
  }
  // The top rows of each currency, in order: the oracle's best k by revenue.
  for (const currency of currencies) {
    const shown: string[] = finance.rows.filter((r) => r[0] === currency).map((r) => key(r[0], r[1], r[2]));
    const best: string[] = fin
      .filter((r) => r.currency === currency)
      .sort((a, b) => Number(b.revenue) - Number(a.revenue))
      .slice(0, shown.length)
      .map((r) => key(r.currency, r.category, r.sub_category));
    assert.deepEqual(shown, best, `top ${currency} rows`);
  }
  const mkt = await query(
    dir,
    `SELECT currency, channel, uniqExact(merchant, order_id, ordered_at) AS orders,
       round(sum(amount), 2) AS revenue
     FROM int_order_lines WHERE month_start = ${LATEST('int_order_lines')} GROUP BY currency, channel`,
  );
  const mktBy = new Map(mkt.map((r) => [key(r.currency, r.channel), r]));
  assert.deepEqual([...new Set(marketing.rows.map((r) => r[0]))].sort(), ['EUR', 'SEK']);
  for (const [currency, channel, orders, revenue] of marketing.rows) {
    const want = mktBy.get(key(currency, channel))!;
    assert.deepEqual(
      [orders, revenue],
      [Number(want.orders), Number(want.revenue)],
      `${currency} ${channel}`,
    );
  }

  // The same run's report on a terminal: short lines, ≤ 40 report lines, one line per node.
  const text = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assertShort(text.stdout);
  const lines = text.stdout.trimEnd().split('\n');
  const nodes = lines.filter((l) => /^\d\d:\d\d:\d\d +\d+\/\d+ /.test(l)).length;
  assert.equal(nodes, report.build!.models.total + report.build!.tests.total, 'one line per node');
  const closing = reportOf(text.stdout);
  assert.ok(closing.length <= 40, `report of ${closing.length} lines`);
  // Everything printed: 2 source lines, "Found …", the nodes, a blank line, the report.
  assert.equal(lines.length, 2 + 1 + nodes + 1 + closing.length, text.stdout);
  assert.match(closing.join('\n'), /^ingest ok in [\d.]+s\n {2}inventory: skipped/m);
  assert.match(closing.join('\n'), /dema docs generate && (npx )?dema docs serve/);
});

test('pipeline report: the failing step is named, and the exit code is 1', async (t) => {
  const dir = tempDir(t);
  project(dir);
  await sample(dir);
  // A source with the wrong header: ingest failed, the build does not run.
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'nope,header\n1,2\n');
  const ingestFails = await runCli(['pipeline', '--sample', '--location', `orders=${bad}`], { cwd: dir });
  assert.equal(ingestFails.code, 1, ingestFails.stdout);
  assertShort(ingestFails.stdout);
  const report1 = reportOf(ingestFails.stdout).join('\n');
  assert.match(report1, /dema pipeline: FAILED/);
  assert.match(report1, /^build {2}not run$/m);
  assert.match(report1, /^ingest failed: 1 source failed — orders \[INGEST_HEADER\]/m);
  assert.doesNotMatch(ingestFails.stdout, /^Found /m, 'no build after a failed ingest');

  // A model made to fail: build failed, the node named, its dependants skipped.
  appendFileSync(
    join(dir, 'project/models/marts/marketing/mart_marketing__campaign_per_month.sql'),
    '\nwhere no_such_column = 1\n',
  );
  const buildFails = await runCli(['--json', 'pipeline', '--sample'], { cwd: dir });
  assert.equal(buildFails.code, 1);
  const report = buildFails.events.find((e) => e.type === 'pipeline.report')!.report as PipelineReport;
  assert.equal(report.ok, false);
  assert.match(
    report.failure!,
    /^build failed: 1 node errored, \d+ skipped — mart_marketing__campaign_per_month$/,
  );
  assert.deepEqual(
    report.build!.failing.map((f) => f.uniqueId),
    ['model.dema.mart_marketing__campaign_per_month'],
  );
  assert.deepEqual(
    report.steps.map((s) => [s.name, s.status]),
    [
      ['ingest', 'ok'],
      ['build', 'failed'],
    ],
  );
  assert.deepEqual(
    report.marts.map((m) => m.title.match(/\((\w+)\)/)![1]),
    ['mart_finance__orders_per_month'],
    'the mart that failed has no table',
  );
  const text = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(text.code, 1);
  assertShort(text.stdout);
  assert.match(
    text.stdout,
    /^\d\d:\d\d:\d\d +\d+\/\d+ ERROR +sql incremental model dema\.mart_marketing__campaign_per_month/m,
  );
  assert.match(
    reportOf(text.stdout).join('\n'),
    /^build failed: 1 node errored, \d+ skipped — mart_marketing/m,
  );
});
