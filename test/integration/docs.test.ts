import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Catalog, readCatalog } from '../../src/docs/catalog.ts';
import type { DocsData } from '../../src/docs/docs-data.ts';
import { featuresProject } from '../fixtures/features-project.ts';
import { launchChromium } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestWarehouse, serverAvailable, tempDir, testTarget, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

const BIN = fileURLToPath(new URL('../../bin/dema.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

function embeddedData(html: string): DocsData {
  const match = /<script id="docs-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  assert.ok(match, 'index.html embeds its data');
  return JSON.parse(match[1]!) as DocsData;
}

test('dema docs generate: catalog.json matches the warehouse; index.html works offline in Chromium', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, featuresProject(store));
  const build = await runCli(['build', '--json'], { cwd: dir });
  assert.equal(build.code, 0, build.stderr);
  const generated = await runCli(['docs', 'generate'], { cwd: dir });
  assert.equal(generated.code, 0, generated.stderr + generated.stdout);
  assert.match(generated.stdout, /Catalog written to .*catalog\.json/);

  // catalog.json against ClickHouse itself: every relation, its columns in order with their types.
  const catalog = JSON.parse(readFileSync(join(dir, 'target/catalog.json'), 'utf8')) as Catalog;
  assert.equal(catalog.metadata.dbt_schema_version, 'https://schemas.getdbt.com/dbt/catalog/v1.json');
  assert.equal(catalog.errors, null);
  const columns = await queryStore<{ table: string; name: string; type: string; comment: string }>(
    store,
    'features',
    "select table, name, type, comment from system.columns where database = 'features' order by table, position",
  );
  const tables = await queryStore<{ name: string; engine: string }>(
    store,
    'features',
    "select name, engine from system.tables where database = 'features'",
  );
  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  const expectedNodes = Object.values(
    manifest.nodes as Record<
      string,
      { unique_id: string; resource_type: string; config: { materialized?: string } }
    >,
  )
    .filter((n) => ['model', 'seed'].includes(n.resource_type) && n.config.materialized !== 'ephemeral')
    .map((n) => n.unique_id)
    .sort();
  assert.deepEqual(Object.keys(catalog.nodes).sort(), expectedNodes);
  assert.deepEqual(Object.keys(catalog.sources).sort(), [
    'source.features.seeded.people',
    'source.features.seeded.people_strict',
  ]);
  for (const entry of [...Object.values(catalog.nodes), ...Object.values(catalog.sources)]) {
    const name = entry.metadata.name;
    const want = columns.filter((c) => c.table === name);
    assert.deepEqual(
      Object.values(entry.columns).map((c) => [c.index, c.name, c.type]),
      want.map((c, i) => [i + 1, c.name, c.type]),
      name,
    );
    const engine = tables.find((x) => x.name === name)!.engine;
    assert.equal(entry.metadata.type, engine === 'View' ? 'view' : 'table', name);
    assert.equal(entry.metadata.schema, 'features');
  }
  // Row counts: a plain MergeTree table's active parts hold exactly its rows.
  const evens = catalog.nodes['model.features.evens']!;
  assert.equal(evens.stats.row_count?.value, 5);
  assert.ok(Number(evens.stats.bytes?.value) > 0);
  assert.equal(catalog.nodes['model.features.stg_numbers']!.stats.has_stats!.value, false);

  // Column lineage through the ephemeral model's CTE and its `select *`.
  const html = readFileSync(join(dir, 'target/index.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  const data = embeddedData(html);
  const node = (id: string) => data.nodes.find((n) => n.id === id)!;
  const evensDoc = node('model.features.evens');
  const n = evensDoc.columns.find((c) => c.name === 'n')!;
  assert.deepEqual(
    n.from.map(([i, column, direct]) => [data.nodes[i]!.id, column, direct]),
    [['model.features.stg_numbers', 'n', 1]],
  );
  assert.equal(n.type, 'UInt64');
  assert.equal(n.desc, 'An even number.');
  assert.ok(n.tests.includes('unique') && n.tests.includes('dbt_utils.accepted_range'));
  assert.match(evensDoc.compiled, /__dbt__cte__eph_even/);

  // The page itself, from file:// with no network.
  const browser = await launchChromium();
  const profile = mkdtempSync(join(tmpdir(), 'dema-chromium-'));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(join(dir, 'target/index.html')).href);
    await page.waitForSelector('body[data-ready="1"]');
    await page.fill('#search', 'evens');
    await page.click('#results a[href="#!/model.features.evens"]');
    await page.waitForSelector('h1:has-text("evens")');
    const row = page.locator('table.cols tr', { has: page.locator('code', { hasText: /^n$/ }) });
    assert.match(
      (await row.textContent()) ?? '',
      /UInt64\s*An even number\.[\s\S]*unique[\s\S]*from stg_numbers\.n/,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'docs-evens.png'), fullPage: true });
    // Lineage: the parent is drawn; clicking it opens its page.
    await page.locator('svg g.n text', { hasText: /^stg_numbers$/ }).click();
    await page.waitForFunction(() => location.hash === '#!/model.features.stg_numbers');
    await page.waitForSelector('h1:has-text("stg_numbers")');
    assert.ok(await page.locator('svg g.n.focus', { hasText: 'stg_numbers' }).count());
    assert.ok(await page.locator('svg g.n', { hasText: 'evens' }).count(), 'children drawn downstream');
    await page.screenshot({ path: join(ARTIFACTS, 'docs-stg-numbers.png'), fullPage: true });
    // Depth 0 upstream and downstream leaves only the focused node.
    await page.fill('#down', '0');
    await page.dispatchEvent('#down', 'change');
    assert.equal(await page.locator('svg g.n').count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('dema docs serve: target/ on loopback only, nothing outside it', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, featuresProject(join(dir, 'warehouse')));
  const missing = await runCli(['docs', 'serve', '--port', '0'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /USAGE.*docs generate/s);
  const generated = await runCli(['docs', 'generate', '--empty-catalog', '--no-compile', '--json'], {
    cwd: dir,
  });
  assert.equal(generated.code, 0, generated.stderr);
  assert.deepEqual(
    generated.events.filter((e) => e.type === 'docs.generated').map((e) => e.catalogued),
    [0],
    'no warehouse read: an empty catalog',
  );
  const child = spawn(process.execPath, [BIN, 'docs', 'serve', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGTERM'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolve(match[0]);
    });
    child.on('close', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const index = await fetch(url);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await index.text(), /id="docs-data"/);
  assert.equal((await fetch(`${url}catalog.json`)).status, 200);
  assert.equal((await fetch(`${url}..%2fdbt_project.yml`)).status, 404);
  assert.equal((await fetch(`${url}%2e%2e/profiles.yml`)).status, 404);
  // Loopback only: the same port on this machine's other addresses refuses the connection.
  const port = new URL(url).port;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (external) await assert.rejects(fetch(`http://${external.address}:${port}/`));
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  assert.equal(await closed, 0);
});

for (const transport of ['embedded', 'server'] as const)
  test(`catalog from the system tables on the ${transport} transport matches DESCRIBE and count()`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const target = testTarget(transport, tempDir(t));
    const warehouse = await openTestWarehouse(t, target);
    const db = target.schema;
    await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
    await warehouse.command(
      `CREATE TABLE ${db}.t (a UInt8, b Nullable(String) COMMENT 'bee', c Decimal(38, 4)) ENGINE = MergeTree ORDER BY a`,
    );
    await warehouse.command(`INSERT INTO ${db}.t VALUES (1, 'x', 1.5), (2, NULL, 2)`);
    await warehouse.command(`INSERT INTO ${db}.t VALUES (3, 'y', 0)`);
    await warehouse.command(`CREATE VIEW ${db}.v AS SELECT c, a FROM ${db}.t`);
    await warehouse.command(`CREATE TABLE ${db}.l (x String) ENGINE = Log`);
    const relation = (name: string, resource_type = 'model') => ({
      unique_id: `${resource_type}.p.${name}`,
      resource_type,
      name,
      alias: name,
      identifier: name,
      schema: db,
    });
    const catalog = await readCatalog(
      warehouse,
      [relation('t'), relation('v'), relation('l', 'source'), relation('missing')],
      {},
    );
    assert.deepEqual(Object.keys(catalog.nodes).sort(), ['model.p.t', 'model.p.v']);
    for (const [id, name] of [
      ['model.p.t', 't'],
      ['model.p.v', 'v'],
      ['source.p.l', 'l'],
    ] as const) {
      const described = (
        await warehouse.query<{ name: string; type: string; comment?: string; comment_expression?: string }>(
          `DESCRIBE TABLE ${db}.${name}`,
        )
      ).rows;
      const entry = catalog.nodes[id] ?? catalog.sources[id]!;
      assert.deepEqual(
        Object.values(entry.columns).map((c) => [c.index, c.name, c.type, c.comment ?? '']),
        // 18.16 calls the comment comment_expression
        described.map((c, i) => [i + 1, c.name, c.type, c.comment ?? c.comment_expression]),
        name,
      );
    }
    assert.equal(catalog.nodes['model.p.t']!.columns.b!.comment, 'bee');
    const [count] = (await warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${db}.t`)).rows;
    assert.equal(catalog.nodes['model.p.t']!.stats.row_count!.value, Number(count!.n));
    assert.match(
      String(catalog.nodes['model.p.t']!.stats.last_modified!.value),
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    assert.equal(catalog.nodes['model.p.v']!.metadata.type, 'view');
    assert.equal(catalog.nodes['model.p.v']!.stats.has_stats!.value, false);
    assert.equal(catalog.sources['source.p.l']!.metadata.type, 'table');
  });
