import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { formatAge } from '../../src/dbt/run/freshness.ts';
import { ensureHistoryTables, newRunRecord, writeRun } from '../../src/history/store.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import { eventsCsv, writeSmallProject } from '../fixtures/small-elt-project.ts';
import { launchChromium } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, serverSkipReason, tempDir, testTarget } from '../helpers/fixtures.ts';
import { demaQuery, startServe } from '../helpers/serve.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const FAILING = 'accepted_values_event_totals_id__1__2';
type Row = Record<string, unknown>;

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Row);
/** As the page prints a cell: NULL, JSON for composite values, else the value. */
const cell = (value: unknown) =>
  value === null ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value);

function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
}

test('serve: run history down to a failing test’s stored rows, source freshness, docs, one nav bar', async (t) => {
  const dir = tempDir(t, 'dema-serve-runs-');
  const target = testTarget('embedded', dir);
  writeSmallProject(dir, target, { failingTest: true });
  // 150 events: ids 3…150 fail accepted_values ['1', '2'], more rows than the page shows (100).
  const extra = Array.from({ length: 147 }, (_, i) => `${i + 4},2024-01-01T00:00:00Z,${i}`).join('\n');
  writeFileSync(join(dir, 'events.csv'), `${eventsCsv()}${extra}\n`);
  const pipelineStarted = Date.now();
  const pipeline = await runCli(['pipeline'], { cwd: dir });
  assert.equal(pipeline.code, 1, 'the accepted_values test fails and stores its failures');
  // A run whose error is markup: the pages must show it as text. It started before the pipeline
  // (however long that took), so it is second in the list, newest first.
  const hostile = `<img src=x id="xss" onerror="document.body.dataset.pwned=1">`;
  const warehouse = await connectWarehouse(target);
  await ensureHistoryTables(warehouse);
  await writeRun(warehouse, {
    ...newRunRecord({ invocation_id: `x"><b id="xss">`, command: 'build', args: 'build', trigger: 'cli' }),
    status: 'error',
    error: hostile,
    started_ms: pipelineStarted - 60_000,
    finished_ms: pipelineStarted - 59_000,
  });
  await warehouse.close();

  // The oracles, before serve takes the warehouse: `dema runs`, the failures relation queried
  // directly, and `dema source freshness` (its sources.json).
  const runs = jsonLines((await runCli(['--json', 'runs', '--limit', '50'], { cwd: dir })).stdout);
  const run = runs.find((r) => r.command === 'pipeline')!;
  const shown = jsonLines(
    (await runCli(['--json', 'runs', 'show', String(run.invocation_id)], { cwd: dir })).stdout,
  )[0]!;
  const failing = (shown.nodes as Row[]).find((n) => String(n.unique_id).includes(FAILING))!;
  assert.equal(failing.failures_relation, `dema_dbt_test__audit.${FAILING}`);
  const storedRows = jsonLines(await demaQuery(dir, `SELECT * FROM dema_dbt_test__audit.${FAILING}`, 'json'));
  assert.equal(storedRows.length, 148);
  const before = Date.now();
  const freshness = await runCli(['--json', 'source', 'freshness'], { cwd: dir });
  assert.equal(freshness.code, 1, 'some sources are in error');
  const cliFreshness = JSON.parse(readFileSync(join(dir, 'project/target/sources.json'), 'utf8'))
    .results as Row[];

  const token = 'runs&token';
  const { url } = await startServe(t, dir, ['--port', '0', '--token', token]);
  const q = `token=${encodeURIComponent(token)}`;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  mkdirSync(ARTIFACTS, { recursive: true });
  const navKeepsToken = async () => {
    const hrefs = await page
      .locator('nav.dema-nav a')
      .evaluateAll((a) => a.map((n) => n.getAttribute('href')));
    assert.deepEqual(
      hrefs,
      ['dashboard', 'runs', 'freshness', 'docs'].map((p) => `/${p}?${q}`),
    );
  };

  // /runs: every run as `dema runs` lists it; the hostile text is text.
  assert.equal((await page.goto(`${url}/runs`))?.status(), 401);
  assert.equal((await page.goto(`${url}/runs?${q}`))?.status(), 200);
  await navKeepsToken();
  assert.deepEqual(
    await page.locator('#runs tr.run').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id'))),
    runs.map((r) => r.invocation_id),
  );
  assert.deepEqual(
    await texts(page, '#runs tr.run td:nth-child(4)'),
    runs.map((r) => r.status),
  );
  assert.equal(await page.locator('#xss').count(), 0);
  assert.ok((await texts(page, '#runs td.msg')).includes(hostile));
  await page.screenshot({ path: `${ARTIFACTS}runs.png`, fullPage: true });

  // The pipeline run, then its failing test's stored rows: equal to the relation queried directly.
  await page.click(`#runs tr.run[data-id="${run.invocation_id}"] a`);
  await page.waitForSelector('#nodes');
  await navKeepsToken();
  assert.deepEqual(
    await page.locator('#nodes tr.node').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node'))),
    (shown.nodes as Row[]).map((n) => n.unique_id),
  );
  assert.deepEqual(
    await texts(page, '#nodes tr.node td:nth-child(3)'),
    (shown.nodes as Row[]).map((n) => n.status),
  );
  assert.deepEqual(
    await texts(page, '#nodes tr.node td[data-col=rows_written]'),
    (shown.nodes as Row[]).map((n) => (n.rows_written === null ? '' : String(n.rows_written))),
  );
  const summary = (await page.textContent('#summary')) ?? '';
  assert.match(summary, /ingest: 1 success/);
  assert.match(summary, /test: (1 fail, 1 pass|1 pass, 1 fail)/);
  assert.equal(await page.locator('#failure-rows').count(), 0);
  await page.click(`#nodes tr.node[data-node="${failing.unique_id}"] a.stored`);
  await page.waitForSelector('#failure-rows');
  assert.ok(page.url().includes(q), 'the token stays in the URL');
  const columns = await texts(page, '#failure-rows th');
  assert.deepEqual(columns, Object.keys(storedRows[0]!));
  const shownRows = await page
    .locator('#failure-rows tr.failure')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))),
    );
  // The first 100 rows as the relation gives them, each a distinct row of it.
  const direct = storedRows.map((row) => JSON.stringify(columns.map((c) => cell(row[c]))));
  const shownKeys = shownRows.map((row) => JSON.stringify(row));
  assert.equal(shownRows.length, 100);
  assert.equal(new Set(shownKeys).size, 100);
  for (const key of shownKeys) assert.ok(direct.includes(key), `${key} is a stored row`);
  assert.deepEqual(
    shownRows.map((row) => row[0]),
    Array(100).fill(run.invocation_id),
    'stored by this run',
  );
  assert.match((await page.textContent('#failures + p')) ?? '', /the first 100 of 148 rows/);
  await page.screenshot({ path: `${ARTIFACTS}run-failures.png`, fullPage: true });

  // The JSON endpoints: the same rows; ids only ever as escaped literals.
  const api = async (path: string) => {
    const response = await fetch(`${url}${path}${path.includes('?') ? '&' : '?'}${q}`);
    return { status: response.status, body: (await response.json()) as Row };
  };
  const failures = await api(
    `/api/runs/failures?id=${run.invocation_id}&node=${encodeURIComponent(String(failing.unique_id))}`,
  );
  assert.equal(failures.status, 200);
  assert.equal(failures.body.total, 148);
  assert.deepEqual(
    (failures.body.rows as Row[]).map((row) => JSON.stringify(columns.map((c) => cell(row[c])))),
    shownKeys,
  );
  assert.equal((await api(`/api/runs/detail?id=${encodeURIComponent("' OR 1=1 --")}`)).status, 404);
  assert.equal((await api('/api/runs?limit=0')).status, 400);
  const pipelines = (await api('/api/runs?command=pipeline')).body as unknown as Row[];
  assert.deepEqual(
    pipelines.map((r) => r.invocation_id),
    [run.invocation_id],
  );
  const injected = await api(`/api/runs?command=${encodeURIComponent("pipeline' OR 1=1 --")}`);
  assert.deepEqual([injected.status, injected.body], [200, []]);
  assert.equal(((await api('/api/runs')).body as unknown as Row[]).length, runs.length);

  // Unknown or malformed run ids: a page that says so, with the nav bar.
  assert.equal((await page.goto(`${url}/runs/no-such-run?${q}`))?.status(), 404);
  assert.match((await page.textContent('#page-error')) ?? '', /no run with invocation id "no-such-run"/);
  await navKeepsToken();
  assert.equal((await page.goto(`${url}/runs/%E0%A4%A?${q}`))?.status(), 400);

  // The hostile run's own page (the second run; the first row is the header): id and error as text.
  await page.goto(`${url}/runs?${q}`);
  await page.click('#runs tr.run:nth-child(3) a');
  await page.waitForSelector('#run');
  assert.equal(await page.locator('#xss').count(), 0);
  assert.equal(await page.textContent('h1'), 'Run x"><b id="xss">');
  assert.equal(await page.textContent('#run-error'), hostile);

  // /freshness: the statuses `dema source freshness` gave, ages measured a moment later.
  await page.click('nav.dema-nav a[data-nav=freshness]');
  await page.waitForSelector('#freshness');
  const after = Date.now();
  const rows = await page.locator('#freshness tr.source').evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-unique-id'),
      status: tr.querySelector('[data-status]')?.getAttribute('data-status'),
      seconds: tr.getAttribute('data-age-seconds'),
      age: tr.querySelector('td.age')?.textContent,
    })),
  );
  assert.deepEqual(
    rows.map((r) => [r.id, r.status]),
    cliFreshness.map((r) => [r.unique_id, r.status]),
  );
  const slack = Math.ceil((after - before) / 1000) + 1;
  for (const [i, r] of rows.entries()) {
    const expected = cliFreshness[i]!.max_loaded_at_time_ago_in_s as number | null | undefined;
    if (expected === null || expected === undefined) {
      assert.equal(r.seconds, '', `${r.id} has no age`);
      continue;
    }
    const age = Number(r.seconds);
    assert.ok(
      age >= expected && age <= expected + slack,
      `${r.id}: ${age}s on the page, ${expected}s by the CLI`,
    );
    assert.equal(r.age, formatAge(age));
  }
  assert.ok(rows.some((r) => r.status === 'warn') && rows.some((r) => r.status === 'error'));
  await navKeepsToken();
  await page.screenshot({ path: `${ARTIFACTS}freshness.png`, fullPage: true });

  // /docs: says how to make it while it is missing, serves it once generated (no restart).
  const missing = await page.goto(`${url}/docs?${q}`);
  assert.equal(missing?.status(), 404);
  assert.match((await page.textContent('#docs-missing')) ?? '', /dema docs generate/);
  await navKeepsToken();
  const docs = await runCli(['docs', 'generate', '--no-compile', '--empty-catalog'], {
    cwd: join(dir, 'project'),
  });
  assert.equal(docs.code, 0, docs.stderr);
  assert.equal((await page.goto(`${url}/docs?${q}`))?.status(), 200);
  await navKeepsToken();
  assert.match((await page.title()) ?? '', /dema docs/);
  await page.screenshot({ path: `${ARTIFACTS}docs.png` });

  await page.click('nav.dema-nav a[data-nav=dashboard]');
  await page.waitForSelector('#status');
  await navKeepsToken();
  assert.equal(await page.evaluate(() => document.body.dataset.pwned ?? ''), '');
  assert.deepEqual(errors, []);
});

test('serve on a ClickHouse server: /api/runs… and /api/freshness read the same as the CLI and the relation', async (t) => {
  const skip = await serverSkipReason();
  if (skip) return t.skip(skip);
  const dir = tempDir(t, 'dema-serve-runs-server-');
  const target = testTarget('server', dir);
  writeSmallProject(dir, target, { failingTest: true });
  t.after(async () => {
    const admin = await connectWarehouse({ ...target, schema: 'default' });
    await admin.command(`DROP DATABASE IF EXISTS ${quoteIdent(`${target.schema}_dbt_test__audit`)}`);
    await admin.close();
  });
  const warehouse = await openTestWarehouse(t, target);
  assert.equal((await runCli(['pipeline'], { cwd: dir })).code, 1);
  const before = Date.now();
  assert.equal((await runCli(['source', 'freshness'], { cwd: dir })).code, 1);
  const cliFreshness = JSON.parse(readFileSync(join(dir, 'project/target/sources.json'), 'utf8'))
    .results as Row[];
  const { url } = await startServe(t, dir, ['--port', '0']);
  const api = async (path: string) => (await (await fetch(`${url}${path}`)).json()) as Row & Row[];

  const runs = await api('/api/runs');
  assert.deepEqual(
    runs.map((r) => [r.command, r.status]),
    [['pipeline', 'error']],
  );
  const detail = await api(`/api/runs/detail?id=${encodeURIComponent(String(runs[0]!.invocation_id))}`);
  const failing = (detail.nodes as Row[]).find((n) => n.failures_relation !== '')!;
  assert.equal(failing.failures_relation, `${target.schema}_dbt_test__audit.${FAILING}`);
  const stored = await api(
    `/api/runs/failures?id=${runs[0]!.invocation_id}&node=${encodeURIComponent(String(failing.unique_id))}`,
  );
  // The oracle: the relation read directly from the server while serve runs.
  const { rows } = await warehouse.query(
    `SELECT * FROM ${quoteIdent(`${target.schema}_dbt_test__audit`)}.${FAILING}`,
  );
  assert.deepEqual(stored.rows, rows);
  assert.equal(stored.total, rows.length);

  const fresh = await api('/api/freshness');
  const slack = Math.ceil((Date.now() - before) / 1000) + 1;
  assert.deepEqual(
    fresh.map((r) => [r.uniqueId, r.status]),
    cliFreshness.map((r) => [r.unique_id, r.status]),
  );
  for (const [i, r] of fresh.entries()) {
    const expected = cliFreshness[i]!.max_loaded_at_time_ago_in_s as number | null;
    if (expected === null) assert.equal(r.ageSeconds, null);
    else
      assert.ok(
        Number(r.ageSeconds) >= expected && Number(r.ageSeconds) <= expected + slack,
        String(r.uniqueId),
      );
  }
});
