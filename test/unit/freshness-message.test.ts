import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FreshnessResult, formatAge, freshnessMessage } from '../../src/dbt/run/freshness.ts';

test('freshness ages read as two units, largest first', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [45.9, '45s'],
    [60, '1m 0s'],
    [12 * 60 + 3, '12m 3s'],
    [4 * 3600 + 12 * 60 + 59, '4h 12m'],
    [3 * 86400 + 4 * 3600 + 59 * 60, '3d 4h'],
    [1260 * 86400 + 8 * 3600, '1260d 8h'],
    [-300, '-5m 0s'],
  ];
  for (const [seconds, text] of cases) assert.equal(formatAge(seconds), text, String(seconds));
});

test('the freshness message names what was measured, the age and both thresholds', () => {
  const base: FreshnessResult = {
    uniqueId: 'source.p.s.t',
    status: 'warn',
    maxLoadedAt: '2026-01-01T00:00:00.000Z',
    snapshottedAt: '2026-01-01T01:00:00.000Z',
    ageSeconds: 3600,
    criteria: { warn_after: { count: 1, period: 'minute' }, error_after: { count: 2, period: 'day' } },
    executionTime: 0,
    measuredFrom: 'column',
  };
  assert.equal(
    freshnessMessage(base),
    'WARN: newest row 1h 0m old (warn after 1 minute, error after 2 days)',
  );
  assert.equal(
    freshnessMessage({
      ...base,
      status: 'error',
      measuredFrom: 'ledger',
      criteria: { error_after: { count: 3, period: 'hour' } },
    }),
    'ERROR: newest load 1h 0m old (error after 3 hours)',
  );
  assert.equal(
    freshnessMessage({ ...base, ageSeconds: null, maxLoadedAt: null }),
    'WARN: never loaded (warn after 1 minute, error after 2 days)',
  );
});
