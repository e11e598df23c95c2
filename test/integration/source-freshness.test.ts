import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newLoadRecord, writeLoadRecord } from '../../src/ingest/ledger.ts';
import { connectWarehouse } from '../../src/warehouse/connect.ts';
import { quoteIdent } from '../../src/warehouse/sql.ts';
import { HOUR, writeSmallProject } from '../fixtures/small-elt-project.ts';
import { runCli } from '../helpers/cli.ts';
import { serverAvailable, type Transport, tempDir, testTarget } from '../helpers/fixtures.ts';

/** dbt's keys of a sources.json result (dbt-semantics.md §9.4). */
const DBT_RESULT_KEYS = [
  'adapter_response',
  'criteria',
  'execution_time',
  'max_loaded_at',
  'max_loaded_at_time_ago_in_s',
  'snapshotted_at',
  'status',
  'thread_id',
  'timing',
  'unique_id',
];

for (const transport of ['embedded', 'server'] as Transport[]) {
  test(`source freshness (${transport}): from loaded_at_field with filter, else the ledger; age printed; dbt's exit codes`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const dir = tempDir(t);
    const target = testTarget(transport, dir);
    writeSmallProject(dir, target);
    t.after(async () => {
      if (target.type !== 'clickhouse') return;
      const warehouse = await connectWarehouse(target);
      await warehouse.command(`DROP DATABASE IF EXISTS ${quoteIdent(target.schema)}`).catch(() => {});
      await warehouse.close();
    });
    const ingest = await runCli(['ingest'], { cwd: dir });
    assert.equal(ingest.code, 0, ingest.stdout + ingest.stderr);
    // The ledger of another landing table: its last successful load three days ago, then a failed
    // one a minute ago (a failure does not make data fresh).
    const warehouse = await connectWarehouse(target);
    const now = Math.floor(Date.now() / 1000);
    const base = {
      source: 'stale',
      merchant: 'default',
      landing_table: 'stale',
      location: 'stale.csv',
      archive_path: '',
      sha256: '',
      bytes: 1,
      rows_read: 1,
      rows_loaded: 1,
      rows_rejected: 0,
    };
    const ok = newLoadRecord({ ...base, load_id: 'ok', started_at: now - 72 * 3600 - 5 });
    await writeLoadRecord(warehouse, { ...ok, status: 'success', finished_at: now - 72 * 3600 });
    const failed = newLoadRecord({ ...base, load_id: 'failed', started_at: now - 60 });
    await writeLoadRecord(warehouse, { ...failed, status: 'failed', finished_at: now - 59, error: 'boom' });
    await warehouse.close();

    // Warnings do not fail: pass + warn + pass (ledger) exits 0.
    const mild = await runCli(
      [
        'source',
        'freshness',
        '-s',
        'source:raw.events',
        'source:raw.events_warn',
        'source:raw.events_by_load',
      ],
      { cwd: dir },
    );
    assert.equal(mild.code, 0, mild.stdout + mild.stderr);
    // The newest event was written ten minutes before the project (a loaded machine may take a
    // minute more to get here: the ages below allow two).
    assert.match(
      mild.stdout,
      /PASS freshness of raw\.events .*\[PASS: newest row 1[0-2]m \d+s old \(warn after 1 hour\)/,
    );
    assert.match(
      mild.stdout,
      /WARN: newest row 1[0-2]m \d+s old \(warn after 5 minutes, error after 1 day\)/,
    );
    assert.match(mild.stdout, /PASS freshness of raw\.events_by_load .*\[PASS: newest load \d+s old/);

    const all = await runCli(['source', 'freshness'], { cwd: dir });
    assert.equal(all.code, 1, all.stdout + all.stderr);
    // The 2023 event's age in days depends on today's date: read it, checked against the clock below.
    const days2023 = /ERROR: newest row (\d+)d \d+h old \(error after 1 day\)/.exec(all.stdout);
    assert.ok(days2023, all.stdout);
    assert.match(all.stdout, /ERROR: newest load 3d 0h old \(error after 1 day\)/);
    const document = JSON.parse(readFileSync(join(dir, 'project/target/sources.json'), 'utf8'));
    assert.equal(document.metadata.dbt_schema_version, 'https://schemas.getdbt.com/dbt/sources/v3.json');
    const byId = new Map<string, Record<string, unknown>>(
      document.results.map((r: Record<string, unknown>) => [r.unique_id, r]),
    );
    const status = (name: string) => byId.get(`source.small.raw.${name}`)?.status;
    const age = (name: string) => Number(byId.get(`source.small.raw.${name}`)?.max_loaded_at_time_ago_in_s);
    assert.deepEqual(
      [
        'events',
        'events_warn',
        'events_error',
        'events_2023',
        'events_by_load',
        'stale_by_load',
        'never_loaded',
      ].map(status),
      ['pass', 'warn', 'error', 'error', 'pass', 'error', 'warn'],
    );
    for (const result of byId.values()) assert.deepEqual(Object.keys(result).sort(), DBT_RESULT_KEYS);
    // Ages from the data, not from the load a few seconds ago.
    assert.ok(Math.abs(age('events') - 600) < 120, `events age ${age('events')}`);
    const age2023 = Date.now() / 1000 - Date.parse('2023-06-20T07:15:33Z') / 1000;
    assert.ok(Math.abs(age('events_2023') - age2023) < 120, `2023 age ${age('events_2023')}`);
    assert.equal(Number(days2023[1]), Math.floor(age('events_2023') / 86_400), 'the printed days');
    assert.ok(age('events_by_load') < 300);
    assert.ok(Math.abs(age('stale_by_load') - (72 * HOUR) / 1000) < 120, `stale age ${age('stale_by_load')}`);
    assert.equal(byId.get('source.small.raw.never_loaded')?.max_loaded_at, null);
    assert.deepEqual(byId.get('source.small.raw.events_2023')?.criteria, {
      warn_after: null,
      error_after: { count: 1, period: 'day' },
      filter: "id = '1'",
    });
  });
}
