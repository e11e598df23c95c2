import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { SERVER_PORT, serverSkipReason, tempDir, writeFiles } from '../helpers/fixtures.ts';

/**
 * The dbt engine over the server transport, on whatever server CI starts (Debian's 18.16: no
 * EXCHANGE, no CREATE OR REPLACE VIEW, no EMPTY AS, no WITH subqueries — the fallbacks run).
 */
test('a dbt project builds, re-builds and tests on a ClickHouse server', async (t) => {
  const noServer = await serverSkipReason();
  if (noServer) return t.skip(noServer);
  const dir = tempDir(t);
  const schema = `dbt_test_${randomBytes(4).toString('hex')}`;
  writeFiles(dir, {
    'dbt_project.yml': 'name: srv\nprofile: srv\nmodels:\n  srv:\n    +materialized: table\n',
    'profiles.yml': `
srv:
  target: server
  outputs:
    server:
      type: clickhouse
      host: 127.0.0.1
      port: "{{ env_var('TEST_CH_PORT') | as_number }}"
      user: dema
      password: "{{ env_var('TEST_CH_PASSWORD') }}"
      schema: ${schema}
`,
    'seeds/regions.csv': 'id,name\n0,north\n1,south\n2,west\n',
    'models/stg_sales.sql':
      "{{ config(materialized='view') }}\nselect number as id, toInt32(number % 3) as region_id, toDecimal64(number * 1.25, 2) as amount from numbers(20)\n",
    'models/sales_by_region.sql':
      "{{ config(order_by='region_id') }}\nselect region_id, sum(amount) as amount, count() as n from {{ ref('stg_sales') }} group by region_id\n",
    'models/sales_inc.sql':
      "{{ config(materialized='incremental', unique_key='id', order_by='id') }}\nselect id, amount, {{ var('v', 1) }} as v from {{ ref('stg_sales') }}\n{% if is_incremental() %}where id >= 10{% endif %}\n",
    'models/schema.yml': `
version: 2
models:
  - name: sales_by_region
    columns:
      - name: region_id
        data_tests:
          - unique
          - not_null
          - accepted_values: {values: [0, 1, 2], quote: false}
          - relationships: {to: ref('regions'), field: id}
`,
  });
  const env = { TEST_CH_PORT: String(SERVER_PORT), TEST_CH_PASSWORD: 'd3m4' };
  t.after(async () => {
    await fetch(`http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4`, {
      method: 'POST',
      body: `DROP DATABASE IF EXISTS ${schema}`,
    });
  });
  const query = async (sql: string) => {
    const response = await fetch(
      `http://127.0.0.1:${SERVER_PORT}/?user=dema&password=d3m4&default_format=JSONEachRow`,
      { method: 'POST', body: sql },
    );
    return (await response.text())
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  const first = await runCli(['build'], { cwd: dir, env });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /Done\. PASS=8 WARN=0 ERROR=0 SKIP=0 TOTAL=8/);
  assert.ok(!first.stdout.includes('d3m4') && !first.stderr.includes('d3m4'), 'the password never appears');

  const second = await runCli(['build', '--vars', '{v: 2}'], { cwd: dir, env });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const versions = await query(`select v, count() as n from ${schema}.sales_inc group by v order by v`);
  assert.deepEqual(
    versions.map((row) => [Number(row.v), Number(row.n)]),
    [
      [1, 10],
      [2, 10],
    ],
  );
  const totals = await query(`select sum(n) as n from ${schema}.sales_by_region`);
  assert.equal(Number(totals[0]!.n), 20);
  const leftovers = await query(
    `select name from system.tables where database = '${schema}' and name like '%__dbt_%'`,
  );
  assert.deepEqual(leftovers, []);
});
