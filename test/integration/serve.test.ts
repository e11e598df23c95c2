import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { runCli } from '../helpers/cli.ts';
import { builtProject, demaQuery, startServe } from '../helpers/serve.ts';

const run = promisify(execFile);

/** curl, as a user would run it: status code and body. */
async function curl(url: string, ...args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args, url]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

const FINANCE_TOTALS =
  'SELECT merchant, currency, sum(orders) AS orders, sum(units_ordered) AS units, toString(sum(shipping)) AS shipping, toString(sum(revenue)) AS revenue FROM mart_finance__orders_per_month GROUP BY merchant, currency ORDER BY merchant, currency';
const MARKETING_TOTALS =
  "SELECT currency, channel, ifNull(campaign, '') AS campaign, sum(orders) AS orders, toString(sum(revenue)) AS revenue FROM mart_marketing__campaign_per_month GROUP BY currency, channel, campaign ORDER BY currency, channel, campaign";

test('dema serve: curl and @clickhouse/client read the marts through the read-only HTTP interface; writes are refused', async (t) => {
  const dir = await builtProject(t);
  const financeCsv = await demaQuery(dir, FINANCE_TOTALS, 'csv');
  const marketingJson = await demaQuery(dir, MARKETING_TOTALS, 'json');
  const marketingCount = await demaQuery(dir, 'SELECT count() AS n FROM mart_marketing__campaign_per_month');
  assert.ok(financeCsv.split('\n').length > 3, 'two merchants with data');

  const { url, stop } = await startServe(t, dir, ['--port', '0']);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

  // curl: same bytes as `dema query --format csv` gave before serve took the warehouse.
  const viaCurl = await curl(`${url}/?default_format=CSVWithNames`, '--data-binary', FINANCE_TOTALS);
  assert.equal(viaCurl.status, 200, viaCurl.body);
  assert.equal(viaCurl.body, financeCsv);
  const get = await curl(`${url}/?query=${encodeURIComponent(`${FINANCE_TOTALS} FORMAT CSVWithNames`)}`);
  assert.equal(get.body, financeCsv);
  assert.equal((await curl(`${url}/?query=SELECT+1`)).body, '1\n');
  assert.equal((await curl(`${url}/ping`)).body, 'Ok.\n');

  // The official client, as a BI tool would use it.
  const client = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
  t.after(() => client.close());
  assert.equal((await client.ping()).success, true);
  const rows = await (await client.query({ query: MARKETING_TOTALS, format: 'JSONEachRow' })).json();
  const expected = marketingJson
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
  assert.deepEqual(rows, expected);
  const json = await (
    await client.query({
      query: 'SELECT count() AS n FROM mart_marketing__campaign_per_month',
      format: 'JSON',
    })
  ).json<{ n: number | string }>();
  assert.equal(`"n"\n${json.data[0]?.n}\n`, marketingCount);
  await assert.rejects(client.query({ query: 'SELECT * FROM no_such_table' }), { code: '60' });

  // Writes, every way: refused with ClickHouse's READONLY error, by the statement check...
  const outfile = join(dir, 'leak.txt');
  const writes = [
    'INSERT INTO mart_finance__orders_per_month SELECT * FROM mart_finance__orders_per_month',
    'CREATE TABLE evil (x Int8) ENGINE = Memory',
    'DROP TABLE mart_finance__orders_per_month',
    'ALTER TABLE mart_finance__orders_per_month DELETE WHERE 1',
    'TRUNCATE TABLE mart_finance__orders_per_month',
    'SYSTEM DROP MARK CACHE',
    'SET readonly = 0',
    'SELECT 1; DROP TABLE mart_finance__orders_per_month',
    `SELECT 1 INTO OUTFILE '${outfile}'`,
    // Comments and heredocs that ClickHouse lexes differently from a naive scanner.
    `SELECT 1 /* /* */ '  */ INTO OUTFILE '${outfile}' --'`,
    `SELECT $$'$$ INTO OUTFILE '${outfile}' --'`,
    `SELECT 1 # '\n INTO OUTFILE '${outfile}' --'`,
    'EXPLAIN INSERT INTO mart_finance__orders_per_month SELECT * FROM mart_finance__orders_per_month',
    '/* SELECT */ DELETE FROM mart_finance__orders_per_month WHERE 1',
    // ...and by the engine's readonly = 1, for what the check lets through.
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    'SELECT 1 SETTINGS readonly = 0',
  ];
  for (const sql of writes) {
    const refused = await curl(`${url}/`, '--data-binary', sql);
    assert.equal(refused.status, 403, `${sql}: ${refused.body}`);
    assert.match(refused.body, /^Code: 164\. DB::Exception: .*\(READONLY\)\n$/, sql);
  }
  assert.equal(existsSync(outfile), false, 'INTO OUTFILE wrote nothing');
  for (const setting of ['readonly=0', 'readonly=2', 'max_threads=1']) {
    const refused = await curl(`${url}/?query=SELECT+1&${setting}`);
    assert.equal(refused.status, 403, setting);
    assert.match(refused.body, /Code: 164\..*\(READONLY\)/);
  }
  await assert.rejects(client.command({ query: 'DROP TABLE mart_finance__orders_per_month' }), {
    code: '164',
  });
  await assert.rejects(
    client.insert({
      table: 'mart_marketing__campaign_per_month',
      values: [{ merchant: 'x' }],
      format: 'JSONEachRow',
    }),
    { code: '164' },
  );
  await assert.rejects(client.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }), {
    code: '164',
  });

  // While serve runs, the CLI is refused with a hint to use serve's interface.
  const locked = await runCli(['query', 'SELECT 1'], { cwd: dir });
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /WAREHOUSE_LOCKED.*\(dema serve --port 0\)/);
  assert.match(locked.stderr, /hint: dema serve owns the warehouse.*HTTP interface.*or stop it/);

  // /docs serves the docs site once `dema docs generate` wrote it.
  assert.equal((await curl(`${url}/docs`)).status, 404);
  mkdirSync(join(dir, 'project/target'), { recursive: true });
  writeFileSync(join(dir, 'project/target/index.html'), '<html><body>dema docs</body></html>');
  assert.match((await curl(`${url}/docs`)).body, /dema docs/);

  // The dashboard's API: a currency is required, filters are values (never SQL), months are checked.
  const api = (query: string) => curl(`${url}/api/finance?${query}`);
  assert.equal((await api('')).status, 400);
  assert.equal((await api('currency=SEK&from=2023-13-99x')).status, 400);
  const injected = await api(`currency=SEK&merchant=${encodeURIComponent("x' OR 1=1 --")}`);
  assert.deepEqual(JSON.parse(injected.body), { byMonth: [], byCategory: [], table: [] });
  const ranged = JSON.parse((await api('currency=SEK&from=2023-02&to=2023-03')).body) as {
    byMonth: { month: string }[];
  };
  assert.deepEqual(
    ranged.byMonth.map((row) => row.month),
    ['2023-02-01', '2023-03-01'],
  );
  // `database` switches for one statement only.
  assert.equal((await curl(`${url}/?database=system&query=SELECT+currentDatabase()`)).body, 'system\n');
  assert.equal((await curl(`${url}/?database=nope&query=SELECT+1`)).status, 404);
  assert.equal((await curl(`${url}/?query=SELECT+currentDatabase()`)).body, 'dema\n');

  assert.equal(await stop(), 0, 'SIGTERM stops serve cleanly');
  assert.equal(await demaQuery(dir, FINANCE_TOTALS, 'csv'), financeCsv, 'the marts are unchanged');
  assert.equal(await demaQuery(dir, MARKETING_TOTALS, 'json'), marketingJson);
  assert.match(await demaQuery(dir, "SELECT count() AS n FROM system.tables WHERE name = 'evil'"), /\n0\n/);
});

test('dema serve off loopback: a token is required to start, and on every request', async (t) => {
  const dir = await builtProject(t);
  const refused = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
    cwd: dir,
    env: { DEMA_SERVE_TOKEN: '' },
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /USAGE.*needs a token[\s\S]*hint: Pass --token/);

  const token = 's3cret-token';
  const served = await startServe(t, dir, ['--host', '0.0.0.0', '--port', '0', '--token', token]);
  const url = served.url.replace('0.0.0.0', '127.0.0.1');
  for (const path of ['/?query=SELECT+1', '/dashboard', '/api/filters', '/ping', '/docs']) {
    const none = await curl(`${url}${path}`);
    assert.equal(none.status, 401, `${path} without a token`);
    assert.match(none.body, /Code: 516\..*AUTHENTICATION_FAILED/);
    assert.equal((await curl(`${url}${path}`, '-H', 'Authorization: Bearer wrong')).status, 401);
    assert.equal((await curl(`${url}${path}`, '-H', `Authorization: Bearer ${token}x`)).status, 401);
  }
  assert.equal((await curl(`${url}/?query=SELECT+1`, '-H', `Authorization: Bearer ${token}`)).body, '1\n');
  assert.equal((await curl(`${url}/?query=SELECT+1&token=${token}`)).body, '1\n');
  assert.equal((await curl(`${url}/?query=SELECT+1`, '-u', `default:${token}`)).body, '1\n');
  assert.equal((await curl(`${url}/api/filters`, '-H', `Authorization: Bearer ${token}`)).status, 200);
  const page = await curl(`${url}/dashboard?token=${token}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<svg|chart-revenue-month/);

  const anonymous = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.query({ query: 'SELECT 1' }), { code: '516' });
  const client = createClient({ url, password: token, log: { level: ClickHouseLogLevel.OFF } });
  t.after(() => client.close());
  const rows = await (await client.query({ query: 'SELECT 1 AS x', format: 'JSONEachRow' })).json();
  assert.deepEqual(rows, [{ x: 1 }]);

  // The lock names serve, and never the token.
  const locked = await runCli(['query', 'SELECT 1'], { cwd: dir });
  assert.match(locked.stderr, /\(dema serve --host 0\.0\.0\.0 --port 0 --token \*\*\*\)/);
  assert.doesNotMatch(locked.stderr, new RegExp(token));
});
