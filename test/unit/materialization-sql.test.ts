import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendInsert,
  copyRows,
  createLike,
  createTableAs,
  createView,
  diffColumns,
  inPartitions,
  insertByName,
  legacyRebuild,
  matchingPartitions,
  movePartitions,
  placeLimit,
  replacedRows,
  schemaChangeStatements,
  swapIntoPlace,
  testWrapper,
} from '../../src/dbt/materialize/ddl.ts';
import { helperName, isHelper, publishWhole } from '../../src/dbt/materialize/publish.ts';

/** Golden SQL for every materialization × config (dbt-semantics.md §7). */

const target = { schema: 'dema', name: 'orders' };
const newData = { schema: 'dema', name: 'orders__dbt_new_data_abc' };
const intermediate = { schema: 'dema', name: 'orders__dbt_tmp_abc' };
const backup = { schema: 'dema', name: 'orders__dbt_backup_abc' };
const fullConfig = {
  engine: 'ReplacingMergeTree(v)',
  order_by: ['id', 'ts'],
  partition_by: 'toYYYYMM(ts)',
  primary_key: 'id',
  ttl: 'ts + INTERVAL 1 YEAR',
  settings: { index_granularity: 4096, storage_policy: 'hot' },
  query_settings: { max_threads: 2 },
};

const cases: [string, () => unknown, unknown][] = [
  [
    'table: every ClickHouse config, EMPTY AS then INSERT',
    () => createTableAs(target, 'select 1 as id', fullConfig, { createEmptyAs: true }),
    [
      `create table \`dema\`.\`orders\`
  engine = ReplacingMergeTree(v)
  order by (id, ts)
  partition by (toYYYYMM(ts))
  primary key (id)
  ttl ts + INTERVAL 1 YEAR
  SETTINGS index_granularity = 4096, storage_policy = 'hot'
  empty as (
select 1 as id
)`,
      `insert into \`dema\`.\`orders\`
select 1 as id
SETTINGS max_threads = 2`,
    ],
  ],
  [
    'table: defaults on a server without EMPTY AS (one CREATE … AS SELECT)',
    () => createTableAs(target, 'select 1 as id', {}, { createEmptyAs: false }),
    [
      `create table \`dema\`.\`orders\`
  engine = MergeTree()
  order by (tuple())
as select 1 as id`,
    ],
  ],
  [
    'table: a non-MergeTree engine has no ORDER BY',
    () => createTableAs(target, 'select 1', { engine: 'Memory' }, { createEmptyAs: true }),
    [
      `create table \`dema\`.\`orders\`
  engine = Memory
  empty as (
select 1
)`,
      `insert into \`dema\`.\`orders\`
select 1`,
    ],
  ],
  [
    'view: CREATE OR REPLACE',
    () => createView(target, 'select 1', {}, { orReplace: true }),
    [
      `create or replace view \`dema\`.\`orders\`
as (
select 1
)`,
    ],
  ],
  [
    'view: drop + create where OR REPLACE is missing, with query_settings',
    () => createView(target, 'select 1', { query_settings: { max_threads: 1 } }, { orReplace: false }),
    [
      `drop table if exists \`dema\`.\`orders\``,
      `create view \`dema\`.\`orders\`
as (
select 1
SETTINGS max_threads = 1
)`,
    ],
  ],
  [
    'view: the standard-SQL setting is stored in the view, query_settings win over it',
    () =>
      createView(
        target,
        'select 1 -- trailing comment',
        { query_settings: { prefer_column_name_to_alias: 0, max_threads: 2 } },
        { orReplace: true, viewSettings: { prefer_column_name_to_alias: 1 } },
      ),
    [
      `create or replace view \`dema\`.\`orders\`
as (
select 1 -- trailing comment
SETTINGS prefer_column_name_to_alias = 0, max_threads = 2
)`,
    ],
  ],
  [
    'view: a query with its own SETTINGS clause keeps just that one',
    () =>
      createView(
        target,
        'select 1\nsettings max_threads = 1',
        {},
        {
          orReplace: true,
          viewSettings: { prefer_column_name_to_alias: 1 },
        },
      ),
    [
      `create or replace view \`dema\`.\`orders\`
as (
select 1
settings max_threads = 1
)`,
    ],
  ],
  [
    'swap: atomic EXCHANGE',
    () => swapIntoPlace(target, intermediate, backup, { exchange: true }),
    [
      `exchange tables \`dema\`.\`orders__dbt_tmp_abc\` and \`dema\`.\`orders\``,
      `drop table if exists \`dema\`.\`orders__dbt_tmp_abc\``,
    ],
  ],
  [
    'swap: rename fallback',
    () => swapIntoPlace(target, intermediate, backup, { exchange: false }),
    [
      `drop table if exists \`dema\`.\`orders__dbt_backup_abc\``,
      `rename table \`dema\`.\`orders\` to \`dema\`.\`orders__dbt_backup_abc\`, \`dema\`.\`orders__dbt_tmp_abc\` to \`dema\`.\`orders\``,
      `drop table if exists \`dema\`.\`orders__dbt_backup_abc\``,
    ],
  ],
  [
    'incremental append: positional into the current columns',
    () => appendInsert(target, ['id', 'v'], 'select 1, 2', {}),
    `insert into \`dema\`.\`orders\` (\`id\`, \`v\`)
select 1, 2`,
  ],
  [
    'incremental delete+insert: the replaced rows, with incremental_predicates',
    () => replacedRows(newData, 'id, ts', { incremental_predicates: ["ts > '2023-01-01'"] }),
    `(id, ts) in (select id, ts from \`dema\`.\`orders__dbt_new_data_abc\`)
  and (ts > '2023-01-01')`,
  ],
  [
    'incremental: the partitions that may hold replaced rows (by key hash), with incremental_predicates',
    () => matchingPartitions(target, newData, 'id, ts', { incremental_predicates: ["ts > '2023-01-01'"] }),
    `select distinct partition_id from (
select _partition_id as partition_id from \`dema\`.\`orders\`
where cityHash64(id, ts) in (select cityHash64(id, ts) from \`dema\`.\`orders__dbt_new_data_abc\`)
  and (ts > '2023-01-01')
)`,
  ],
  [
    'incremental: the kept rows of the touched partitions into the helper, with query_settings',
    () =>
      copyRows(intermediate, target, ['id', 'v'], `${inPartitions(['202301', '202302'])}\n  and not (x)`, {
        query_settings: { max_threads: 2 },
      }),
    `insert into \`dema\`.\`orders__dbt_tmp_abc\` (\`id\`, \`v\`)
select \`id\`, \`v\` from \`dema\`.\`orders\`
where _partition_id in ('202301', '202302')
  and not (x)
SETTINGS max_threads = 2`,
  ],
  [
    'incremental: the model rows into the helper by name, with query_settings',
    () =>
      insertByName(intermediate, ['id', 'v'], 'select 2 as v, 1 as id, 3 as extra', {
        query_settings: { max_threads: 2 },
      }),
    `insert into \`dema\`.\`orders__dbt_tmp_abc\` (\`id\`, \`v\`)
select \`id\`, \`v\` from (
select 2 as v, 1 as id, 3 as extra
)
SETTINGS max_threads = 2`,
  ],
  [
    'incremental: a helper shaped like the live table',
    () => createLike(intermediate, target),
    'create table `dema`.`orders__dbt_tmp_abc` as `dema`.`orders`',
  ],
  [
    'publish: first build renames the complete helper into place',
    () => publishWhole(target, intermediate, backup, 'absent', { exchange: true }),
    ['rename table `dema`.`orders__dbt_tmp_abc` to `dema`.`orders`'],
  ],
  [
    'publish: a view is replaced by the complete helper',
    () => publishWhole(target, intermediate, backup, 'view', { exchange: true }),
    ['drop view if exists `dema`.`orders`', 'rename table `dema`.`orders__dbt_tmp_abc` to `dema`.`orders`'],
  ],
  [
    'publish: a live table is swapped (EXCHANGE where the engine has it)',
    () => publishWhole(target, intermediate, backup, 'table', { exchange: true }),
    [
      'exchange tables `dema`.`orders__dbt_tmp_abc` and `dema`.`orders`',
      'drop table if exists `dema`.`orders__dbt_tmp_abc`',
    ],
  ],
  [
    'publish: partitions attached (append, delete+insert of new keys only)',
    () => movePartitions(target, intermediate, ['all'], 'attach'),
    [
      `alter table \`dema\`.\`orders\`
  attach partition id 'all' from \`dema\`.\`orders__dbt_tmp_abc\``,
    ],
  ],
  [
    'incremental legacy: rebuild beside the table',
    () => legacyRebuild(target, newData, intermediate, 'id', ['id', 'v'], ['id', 'v', 'extra'], {}),
    [
      `create table \`dema\`.\`orders__dbt_tmp_abc\` as \`dema\`.\`orders__dbt_new_data_abc\``,
      `insert into \`dema\`.\`orders__dbt_tmp_abc\` (\`id\`, \`v\`)
select \`id\`, \`v\` from \`dema\`.\`orders\`
where (id) not in (select id from \`dema\`.\`orders__dbt_new_data_abc\`)`,
      `insert into \`dema\`.\`orders__dbt_tmp_abc\` (\`id\`, \`v\`, \`extra\`)
select \`id\`, \`v\`, \`extra\` from \`dema\`.\`orders__dbt_new_data_abc\``,
    ],
  ],
  [
    'publish: partitions replaced (insert_overwrite, delete+insert)',
    () => movePartitions(target, newData, ['202301', '202302'], 'replace'),
    [
      `alter table \`dema\`.\`orders\`
  replace partition id '202301' from \`dema\`.\`orders__dbt_new_data_abc\`,
  replace partition id '202302' from \`dema\`.\`orders__dbt_new_data_abc\``,
    ],
  ],
];

for (const [name, build, expected] of cases) test(name, () => assert.deepEqual(build(), expected));

const change = diffColumns(
  [
    { name: 'id', type: 'UInt64' },
    { name: 'old', type: 'String' },
    { name: 'v', type: 'Int32' },
  ],
  [
    { name: 'id', type: 'UInt64' },
    { name: 'v', type: 'Int64' },
    { name: 'extra', type: 'String' },
  ],
);

test('on_schema_change: the column differences', () => {
  assert.deepEqual(change, {
    added: [{ name: 'extra', type: 'String' }],
    removed: [{ name: 'old', type: 'String' }],
    changed: [{ name: 'v', from: 'Int32', to: 'Int64' }],
  });
});

test('on_schema_change: ignore, append_new_columns, sync_all_columns, fail', () => {
  assert.deepEqual(schemaChangeStatements(target, change, 'ignore', 'orders'), []);
  assert.deepEqual(schemaChangeStatements(target, change, 'append_new_columns', 'orders'), [
    'alter table `dema`.`orders` add column if not exists `extra` String',
  ]);
  assert.deepEqual(schemaChangeStatements(target, change, 'sync_all_columns', 'orders'), [
    'alter table `dema`.`orders` drop column if exists `old`',
    'alter table `dema`.`orders` add column if not exists `extra` String',
    'alter table `dema`.`orders` modify column if exists `v` Int64',
  ]);
  assert.throws(() => schemaChangeStatements(target, change, 'fail', 'orders'), {
    code: 'EXEC_MODEL',
    message:
      "Model orders: the incremental model's columns changed (added extra String; removed old; v Int32 → Int64) and on_schema_change is 'fail'.",
  });
});

test('test wrapper: fail_calc, warn_if / error_if and limit', () => {
  assert.equal(
    testWrapper('select 1', { fail_calc: 'count(*)', warn_if: '>= 10', error_if: '!= 0', limit: 5 }),
    `select
  count(*) as failures,
  count(*) >= 10 as should_warn,
  count(*) != 0 as should_error
from (
select 1
limit 5
) dbt_internal_test`,
  );
});

test('test limit goes before -- end_of_sql when the test ends in SETTINGS, else it is an error', () => {
  assert.equal(
    placeLimit('select 1\n-- end_of_sql\nsettings join_use_nulls = 1', 3),
    'select 1\nlimit 3\n-- end_of_sql\nsettings join_use_nulls = 1',
  );
  assert.throws(() => placeLimit('select 1 settings max_threads = 1', 3), { code: 'EXEC_MODEL' });
});

test('helper tables are named per invocation, and recognised by name', () => {
  const id = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  assert.equal(helperName('orders', 'tmp', id), 'orders__dbt_tmp_0a1b2c3d4e5f');
  for (const role of ['tmp', 'backup', 'new_data'] as const) {
    assert.ok(isHelper(helperName('orders', role, id)));
    assert.ok(isHelper(helperName('orders', role, id), id));
    assert.ok(!isHelper(helperName('orders', role, id), 'ffffffff-4e5f-6789-abcd-ef0123456789'));
  }
  for (const name of [
    'orders',
    'orders__dbt_tmp',
    'orders__dbt_tmp_0A1B2C3D4E5F',
    'x__dbt_other_0a1b2c3d4e5f',
    // A user's table that merely contains a helper's name is never one (cleanup drops helpers).
    'orders__dbt_tmp_0a1b2c3d4e5f_v2',
    'orders__dbt_tmp_0a1b2c3d4e5f0',
  ])
    assert.ok(!isHelper(name), name);
});

test("a test's trailing SETTINGS (after -- end_of_sql) moves to the wrapper", () => {
  assert.equal(
    testWrapper('select a from t\n-- end_of_sql\nsettings join_use_nulls = 1', {}),
    `select
  count(*) as failures,
  count(*) != 0 as should_warn,
  count(*) != 0 as should_error
from (
select a from t
) dbt_internal_test
settings join_use_nulls = 1`,
  );
});
