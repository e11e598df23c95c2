import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testSettings } from '../../src/dbt/materialize/run-test.ts';
import { capabilitiesFor } from '../../src/warehouse/capabilities.ts';

test('data tests run with SQL NULLs for joins everywhere, and for aggregates of no rows where the setting exists', () => {
  // 18.16 refuses an unknown setting: every data test would fail there.
  for (const version of ['18.16.1', '21.2.9'])
    assert.deepEqual(testSettings(capabilitiesFor(version)), { join_use_nulls: 1 }, version);
  for (const version of ['21.3.1', '26.7.2.1'])
    assert.deepEqual(
      testSettings(capabilitiesFor(version)),
      { join_use_nulls: 1, aggregate_functions_null_for_empty: 1 },
      version,
    );
});
