import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SourceConfig } from '../../src/config/dema-config.ts';
import { DemaError } from '../../src/errors.ts';
import { listLoads } from '../../src/ingest/ledger.ts';
import { loadSource } from '../../src/ingest/load-source.ts';
import { openSource } from '../../src/ingest/open-source.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';

/** The warehouse, with the stage dropped just before the publish's ATTACH reads it. */
function stageVanishesAtAttach(warehouse: Warehouse): Warehouse {
  return new Proxy(warehouse, {
    get(target, property, receiver) {
      if (property === 'command')
        return async (sql: string, settings?: Record<string, string | number | boolean>) => {
          const stage = /ATTACH PARTITION .* FROM (\S+)$/.exec(sql)?.[1];
          if (stage) await target.command(`DROP TABLE IF EXISTS ${stage}`);
          return target.command(sql, settings);
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// publishLoad marks a load whose stage is gone before ATTACH as failed (nothing of it can be
// published). The load's caller must report that failure, never a success with 0 rows shown.
test('a load whose stage vanished before the ATTACH fails, and the ledger says failed', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'orders.csv');
  writeFileSync(path, 'c1,c2\na,1\nb,2\n');
  const warehouse = await openTestWarehouse(t, testTarget('embedded', dir));
  await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${warehouse.database}`);
  const source: SourceConfig = {
    name: 'vanish',
    location: path,
    format: 'csv',
    table: 'vanish',
    columns: ['c1', 'c2'],
    key: ['c1'],
    merchant: 'default',
  };
  const reporter = { emit: () => {} };
  const file = await openSource({ ...source, source: 'vanish', archiveDir: join(dir, 'archive'), reporter });
  const error = await loadSource(
    stageVanishesAtAttach(warehouse),
    source,
    file,
    { force: false, maxRejects: 0, maxRejectRatio: undefined, location: path },
    reporter,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof DemaError, `a failure, not ${String(error)}`);
  assert.equal(error.code, 'INGEST_LOAD');
  assert.match(error.message, /was not published/);
  const loads = await listLoads(warehouse, { source: 'vanish' });
  assert.deepEqual(
    loads.map((load) => load.status),
    ['failed'],
  );
  const { rows } = await warehouse.query<{ n: string }>(
    `SELECT toString(count()) AS n FROM ${warehouse.database}.vanish`,
  );
  assert.equal(rows[0]!.n, '0');
});
