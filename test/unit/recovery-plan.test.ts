import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadStatus } from '../../src/ingest/ledger.ts';
import { deleteStep, recoveryAction, rollForwardStep, stagesToDrop } from '../../src/ingest/recovery-plan.ts';

/** The recovery's decisions (publish.ts, invariant in src/ingest/README.md), every branch. */

const me = { host: 'h1', pid: 100 };

test('recovery: a committed load of another process is rolled forward, an uncommitted one rolled back; own loads are kept', () => {
  const cases: [string, number, LoadStatus, string][] = [
    ['h1', 100, 'publishing', 'keep'],
    ['h1', 100, 'running', 'keep'],
    // Same pid on another host, another pid on this host: another (dead) process.
    ['h2', 100, 'publishing', 'roll-forward'],
    ['h1', 101, 'publishing', 'roll-forward'],
    ['h2', 100, 'running', 'roll-back'],
    ['h1', 101, 'running', 'roll-back'],
  ];
  for (const [host, pid, status, action] of cases)
    assert.equal(recoveryAction({ host, pid, status }, me), action, `${host} ${pid} ${status}`);
});

test('roll forward: republished whenever the stage holds the rows (or there are none); a lost stage fails the load only when nothing of it reached landing', () => {
  assert.equal(rollForwardStep({ rowsLoaded: 10, stageExists: true }), 'republish');
  assert.equal(rollForwardStep({ rowsLoaded: 10, stageExists: true, rowsInLanding: 4 }), 'republish');
  // An empty load has no partition to attach: its stage may be gone, it still completes.
  assert.equal(rollForwardStep({ rowsLoaded: 0, stageExists: false, rowsInLanding: 0 }), 'republish');
  assert.equal(rollForwardStep({ rowsLoaded: 1, stageExists: false, rowsInLanding: 0 }), 'mark-failed');
  assert.equal(rollForwardStep({ rowsLoaded: 10, stageExists: false, rowsInLanding: 1 }), 'stage-lost');
  assert.equal(rollForwardStep({ rowsLoaded: 10, stageExists: false, rowsInLanding: 10 }), 'stage-lost');
});

test("deleting a load's rows: one DELETE only while none is pending; done only with no row and no pending mutation", () => {
  assert.equal(deleteStep(0, 0), 'done');
  assert.equal(deleteStep(1, 0), 'delete');
  assert.equal(deleteStep(500, 0), 'delete');
  // A pending mutation (maybe a killed recovery's own DELETE) is waited for, rows or not.
  assert.equal(deleteStep(1, 1), 'wait');
  assert.equal(deleteStep(0, 1), 'wait');
  assert.equal(deleteStep(0, 3), 'wait');
});

test('the sweep drops every stage table but those of loads kept, and nothing else', () => {
  const tables = [
    'orders',
    '_dema_loads',
    '_dema_stage_orders_aa',
    '_dema_stage_orders_bb',
    'x_dema_stage_y',
  ];
  assert.deepEqual(stagesToDrop(tables, new Set()), ['_dema_stage_orders_aa', '_dema_stage_orders_bb']);
  assert.deepEqual(stagesToDrop(tables, new Set(['_dema_stage_orders_bb', 'orders'])), [
    '_dema_stage_orders_aa',
  ]);
  assert.deepEqual(stagesToDrop([], new Set()), []);
});
