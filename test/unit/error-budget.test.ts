import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countExceeded, describeBudget, overBudget, resolveBudget } from '../../src/ingest/error-budget.ts';

test('a count budget: 0 allows none, equal passes, one over fails', () => {
  const zero = { maxRejects: 0, maxRejectRatio: undefined };
  assert.equal(overBudget(0, 100, zero), false);
  assert.equal(overBudget(1, 100, zero), true);
  assert.equal(countExceeded(1, zero), true);
  const five = { maxRejects: 5, maxRejectRatio: undefined };
  assert.equal(overBudget(5, 5, five), false);
  assert.equal(overBudget(6, 1_000_000, five), true);
  assert.equal(countExceeded(5, five), false);
  assert.equal(countExceeded(6, five), true);
});

test('a ratio budget: equal passes, one row over fails, nothing read passes; it never stops reading', () => {
  const ratio = { maxRejects: undefined, maxRejectRatio: 0.01 };
  assert.equal(overBudget(10, 1000, ratio), false);
  assert.equal(overBudget(11, 1000, ratio), true);
  assert.equal(overBudget(0, 0, ratio), false);
  assert.equal(countExceeded(1_000_000, ratio), false);
  const none = { maxRejects: undefined, maxRejectRatio: 0 };
  assert.equal(overBudget(0, 10, none), false);
  assert.equal(overBudget(1, 10, none), true);
});

test('count and ratio together: exceeding either fails', () => {
  const both = { maxRejects: 5, maxRejectRatio: 0.5 };
  assert.equal(overBudget(5, 10, both), false);
  assert.equal(overBudget(6, 100, both), true, 'count over, ratio under');
  assert.equal(overBudget(3, 5, both), true, 'count under, ratio over');
});

test('where the budget comes from: the source wins as a whole, else the defaults, else zero', () => {
  assert.deepEqual(resolveBudget({}, {}), { maxRejects: 0, maxRejectRatio: undefined });
  // The repository's dema.yml sets max_rejects: 0 at the top; a source's ratio alone must work.
  assert.deepEqual(resolveBudget({ max_reject_ratio: 0.1 }, { max_rejects: 0 }), {
    maxRejects: undefined,
    maxRejectRatio: 0.1,
  });
  assert.deepEqual(resolveBudget({}, { max_reject_ratio: 0.1 }), {
    maxRejects: undefined,
    maxRejectRatio: 0.1,
  });
  assert.deepEqual(resolveBudget({ max_rejects: 0 }, { max_reject_ratio: 0.5 }), {
    maxRejects: 0,
    maxRejectRatio: undefined,
  });
  assert.deepEqual(resolveBudget({}, { max_rejects: 3, max_reject_ratio: 0.2 }), {
    maxRejects: 3,
    maxRejectRatio: 0.2,
  });
});

test('the budget as the over-budget error names it: each limit that applies, the zero default included', () => {
  assert.equal(describeBudget(resolveBudget({}, {})), 'max_rejects 0');
  assert.equal(describeBudget({ maxRejects: 5, maxRejectRatio: undefined }), 'max_rejects 5');
  assert.equal(describeBudget({ maxRejects: undefined, maxRejectRatio: 0.02 }), 'max_reject_ratio 0.02');
  assert.equal(describeBudget({ maxRejects: 3, maxRejectRatio: 0 }), 'max_rejects 3, max_reject_ratio 0');
});
