import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configForFqn, mergeConfig } from '../../src/dbt/project/config-tree.ts';

const tree = {
  '+materialized': 'view',
  dema: {
    '+tags': ['dema'],
    staging: { '+materialized': 'view', '+meta': { layer: 'staging' } },
    marts: {
      materialized: 'table',
      '+tags': 'mart',
      finance: { '+meta': { owner: 'finance' }, '+engine': 'MergeTree()' },
    },
  },
};

test('deeper levels override shallower ones; plain non-dict keys are configs', () => {
  assert.deepEqual(configForFqn(tree, ['dema', 'marts', 'finance', 'mart_finance']), {
    materialized: 'table',
    tags: ['dema', 'mart'],
    meta: { owner: 'finance' },
    engine: 'MergeTree()',
  });
  assert.deepEqual(configForFqn(tree, ['dema', 'staging', 'stg_orders']), {
    materialized: 'view',
    tags: ['dema'],
    meta: { layer: 'staging' },
  });
});

test('the walk stops at the first missing level', () => {
  assert.deepEqual(configForFqn(tree, ['other_pkg', 'x']), { materialized: 'view' });
});

test('merge rules: tags and hooks append, meta updates, the rest overwrite', () => {
  assert.deepEqual(
    mergeConfig(
      { tags: ['a'], meta: { x: 1, y: 1 }, pre_hook: 'one', order_by: 'a' },
      { tags: 'b', meta: { y: 2 }, 'pre-hook': ['two'], order_by: ['b', 'c'] },
    ),
    { tags: ['a', 'b'], meta: { x: 1, y: 2 }, 'pre-hook': ['one', 'two'], order_by: ['b', 'c'] },
  );
});
