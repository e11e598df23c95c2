import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { scratchServerSchema, serverSkipReason, tempDir, writeFiles } from '../helpers/fixtures.ts';
import {
  expectedHistory,
  type HistoryRow,
  type SnapshotSpec,
  type SourceRow,
} from '../helpers/scd2-oracle.ts';
import { queryStore } from '../helpers/store.ts';

/**
 * dbt snapshots (SCD2) on chDB through the CLI, against an independent oracle (scd2-oracle.ts):
 * both strategies, each hard_deletes mode, both definition forms, over five runs with inserts,
 * updates (caught by one strategy and not the other), deletes, reappearing keys and NULLs.
 */

const BASE = 1577836800; // 2020-01-01: source times are BASE + u; snapshot times are far later.

const SNAPSHOTS: Record<string, SnapshotSpec & { config: string }> = {
  ts_ignore: { strategy: 'timestamp', hardDeletes: 'ignore', config: "strategy='timestamp', updated_at='u'" },
  ts_invalidate: {
    strategy: 'timestamp',
    hardDeletes: 'invalidate',
    config: "strategy='timestamp', updated_at='u', invalidate_hard_deletes=True",
  },
  ts_new_record: {
    strategy: 'timestamp',
    hardDeletes: 'new_record',
    config: "strategy='timestamp', updated_at='u', hard_deletes='new_record'",
  },
  check_all_ignore: {
    strategy: 'check',
    checkCols: ['v', 'w', 'u'],
    hardDeletes: 'ignore',
    config: "strategy='check', check_cols='all'",
  },
  check_v_dated: {
    strategy: 'check',
    checkCols: ['v'],
    checkUpdatedAt: true,
    hardDeletes: 'ignore',
    config: "strategy='check', check_cols=['v'], updated_at='u'",
  },
  check_v_invalidate: {
    strategy: 'check',
    checkCols: ['v'],
    hardDeletes: 'invalidate',
    config: "strategy='check', check_cols=['v'], hard_deletes='invalidate'",
  },
};
// The YAML form (dbt 1.9+), reading the same source by relation.
const YAML_SNAPSHOT: SnapshotSpec = {
  strategy: 'check',
  checkCols: ['v', 'w', 'u'],
  hardDeletes: 'new_record',
};

const r = (id: number, v: string | null, w: string, u: number): SourceRow => ({ id, v, w, u });
const RUNS: SourceRow[][] = [
  [r(1, 'a', 'x', 1), r(2, 'b', 'x', 1), r(3, null, 'x', 1), r(4, 'd', 'x', 1)],
  // 1 updated; 2 unchanged; 3 NULL → value; 4 deleted; 5 new.
  [r(1, 'a2', 'x', 2), r(2, 'b', 'x', 1), r(3, 'c', 'x', 2), r(5, 'e', 'x', 2)],
  // 1: only w changes (check_cols [v] ignores it); 3 value → NULL; 4 back; 5 deleted.
  [r(1, 'a2', 'y', 3), r(2, 'b', 'x', 1), r(3, null, 'x', 3), r(4, 'd', 'x', 3)],
  // 1: v changes, updated_at does not (timestamp ignores it); 2 updated; 5 back; 6 new.
  [
    r(1, 'a3', 'y', 3),
    r(2, 'b2', 'x', 4),
    r(3, null, 'x', 3),
    r(4, 'd', 'x', 3),
    r(5, 'e', 'x', 4),
    r(6, 'f', 'x', 4),
  ],
  // Everything gone but 2 (its updated_at goes back: timestamp keeps it) and 6; 7 and 8 (NULL) new.
  [r(2, 'b3', 'x', 3), r(6, 'f', 'x', 4), r(7, 'g', 'x', 5), r(8, null, 'x', 5)],
];

function sourceSql(rows: readonly SourceRow[]): string {
  return rows
    .map(
      (row) =>
        `select toUInt32(${row.id}) as id, CAST(${row.v === null ? 'NULL' : `'${row.v}'`} AS Nullable(String)) as v, '${row.w}' as w, toDateTime(${BASE + row.u}) as u`,
    )
    .join('\nunion all\n');
}

function project(profile: string, materialized = 'ephemeral'): Record<string, string> {
  const legacy = Object.entries(SNAPSHOTS).map(
    ([name, spec]) =>
      `{% snapshot ${name} %}\n{{ config(target_schema=target.schema, unique_key='id', ${spec.config}) }}\nselect * from {{ ref('src') }}\n{% endsnapshot %}\n`,
  );
  return {
    'dbt_project.yml': `name: snap\nprofile: snap\nmodels:\n  snap:\n    +materialized: ${materialized}\n`,
    'profiles.yml': profile,
    'snapshots/legacy.sql': legacy.join('\n'),
    'snapshots/props.yml': [
      'snapshots:',
      '  - name: yaml_new_record',
      "    relation: ref('src')",
      '    config: {unique_key: [id], strategy: check, check_cols: all, hard_deletes: new_record}',
      '    columns:',
      '      - name: dbt_scd_id',
      '        data_tests: [unique, not_null]',
    ].join('\n'),
  };
}

interface Actual {
  id: number;
  v: string | null;
  w: string;
  u: number;
  f: number;
  t: number | null;
  up: number;
  d: string;
}

const chdbProfile = (dir: string) =>
  `snap:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: snap}\n`;

/** Runs the five source states through the CLI and compares each snapshot with the oracle. */
async function matchesOracle(
  dir: string,
  query: <Row>(sql: string) => Promise<Row[]>,
  schema: string,
  onlyBuild = false,
) {
  const windows: [number, number][] = [];
  for (const [index, rows] of RUNS.entries()) {
    writeFiles(dir, { 'models/src.sql': `${sourceSql(rows)}\n` });
    // Each run in its own seconds: start once the second the previous run ended in is over.
    if (index > 0) await sleep((windows[index - 1]![1] + 1) * 1000 - Date.now() + 20);
    const before = Math.floor(Date.now() / 1000);
    // Alternately `build` (with the snapshot's tests) and `snapshot`.
    const build = onlyBuild || index % 2 === 0;
    const result = await runCli([build ? 'build' : 'snapshot'], { cwd: dir });
    windows.push([before, Math.floor(Date.now() / 1000)]); // now() is truncated to the second
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, build ? (onlyBuild ? /PASS=10 / : /PASS=9 /) : /PASS=7 /, result.stdout);
  }
  const label = (time: number) => {
    if (time < BASE + 1000) return `u${time - BASE}`;
    const run = windows.findIndex(([from, to]) => time >= from && time <= to);
    assert.notEqual(run, -1, `snapshot time ${time} is no run's`);
    return `run${run + 1}`;
  };
  const specs = { ...SNAPSHOTS, yaml_new_record: YAML_SNAPSHOT };
  for (const [name, spec] of Object.entries(specs)) {
    const deleted = spec.hardDeletes === 'new_record' ? "dbt_is_deleted = 'True'" : "'n'";
    const rows = await query<Actual>(
      `select id, v, w, toUnixTimestamp(u) as u, toUnixTimestamp(dbt_valid_from) as f, toUnixTimestamp(dbt_valid_to) as t, toUnixTimestamp(dbt_updated_at) as up, toString(${deleted}) as d from ${schema}.${name}`,
    );
    const actual = rows.map((row) => {
      assert.equal(Number(row.up), Number(row.f), `${name}: dbt_updated_at = dbt_valid_from`);
      return {
        id: Number(row.id),
        v: row.v,
        w: row.w,
        u: Number(row.u) - BASE,
        from: label(Number(row.f)),
        to: row.t === null ? null : label(Number(row.t)),
        deleted: row.d === '1',
      };
    });
    const order = (rows: HistoryRow[]) => rows.map((row) => JSON.stringify(row)).sort();
    assert.deepEqual(order(actual), order(expectedHistory(spec, RUNS)), name);
  }
}

test('snapshots: five runs of both strategies and every hard_deletes mode match the SCD2 oracle (chDB)', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(chdbProfile(dir)));
  await matchesOracle(dir, (sql) => queryStore(join(dir, 'warehouse'), 'snap', sql), 'snap');
});

test('snapshots match the SCD2 oracle on the ClickHouse server too', async (t) => {
  const skip = await serverSkipReason();
  if (skip) return t.skip(skip);
  const dir = tempDir(t);
  const { schema, post, profile } = scratchServerSchema(t, 'dbt_snap', 'snap');
  // 18.16 has no WITH name AS (subquery) for an ephemeral source: a view, rebuilt by each build.
  writeFiles(dir, project(profile, 'view'));
  await matchesOracle(
    dir,
    async <Row>(sql: string) =>
      (await post(`${sql} format JSONEachRow`))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Row),
    schema,
    true,
  );
});

/** A legacy snapshot with a custom schema, a composite key and dbt_valid_to_current, read by a model. */
const shopProfile = (dir: string) =>
  `shop:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: shop}\n`;

function ordersProject(profile: string): Record<string, string> {
  return {
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'profiles.yml': profile,
    'models/orders.sql': "{{ var('orders') }}\n",
    'models/current_orders.sql':
      "{{ config(materialized='table') }}\nselect id, shop, amount from {{ ref('orders_snap') }} where dbt_valid_to = toDateTime('2099-12-31 00:00:00')\n",
    'snapshots/orders.sql': [
      '{% snapshot orders_snap %}',
      '{{ config(schema="hist", unique_key=var("key", ["id", "shop"]), strategy="timestamp", updated_at="updated_at",',
      '           dbt_valid_to_current="toDateTime(\'2099-12-31 00:00:00\')") }}',
      "select * from {{ ref('orders') }} where throwIf({{ var('fail', 0) }} = 1 and id = 2) = 0",
      '{% endsnapshot %}',
      '',
    ].join('\n'),
    'snapshots/schema.yml':
      'snapshots:\n  - name: orders_snap\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
  };
}

const order = (id: number, shop: string, amount: number, u: number, note?: string) =>
  `select toUInt32(${id}) as id, '${shop}' as shop, toFloat64(${amount}) as amount, toDateTime(${BASE + u}) as updated_at${note === undefined ? '' : `, '${note}' as note`}`;

test('a snapshot in build: DAG order, its tests, a model reading it, the first-run shape, new columns, selection', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, ordersProject(shopProfile(dir)));
  const vars = (rows: string[], extra = '') => [
    '--vars',
    JSON.stringify({ orders: rows.join(' union all ') }) + extra,
  ];
  const first = [order(1, 'a', 10, 1), order(1, 'b', 20, 1), order(2, 'a', 30, 1)];
  const built = await runCli(['build', ...vars(first), '--json'], { cwd: dir });
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const ran = built.events.filter((e) => e.type === 'dbt.node.done').map((e) => String(e.uniqueId));
  assert.equal(ran.length, 4, built.stdout);
  assert.deepEqual(
    [ran[0], ran[1], ran[3]],
    ['model.shop.orders', 'snapshot.shop.orders_snap', 'model.shop.current_orders'],
  );
  assert.match(ran[2]!, /^test\.shop\.not_null_orders_snap_id\./, 'the test of the snapshot runs after it');
  const columns = await queryStore<{ name: string; type: string }>(
    store,
    'shop',
    'describe shop_hist.orders_snap',
  );
  assert.deepEqual(
    columns.map((c) => `${c.name} ${c.type}`),
    [
      'id UInt32',
      'shop String',
      'amount Float64',
      'updated_at DateTime',
      'dbt_scd_id UInt64',
      'dbt_updated_at DateTime',
      'dbt_valid_from DateTime',
      'dbt_valid_to DateTime',
    ],
    'the first run: the source columns, then the meta columns (dbt_valid_to_current: not Nullable)',
  );
  const current = () =>
    queryStore<{ id: number; shop: string; amount: number }>(
      store,
      'shop',
      'select id, shop, amount from shop.current_orders order by id, shop',
    );
  assert.deepEqual(
    (await current()).map((r) => `${r.id}${r.shop}${r.amount}`),
    ['1a10', '1b20', '2a30'],
  );

  // A new column; (1, b) changes, (1, a) does not: the composite key keeps them apart.
  const second = [order(1, 'a', 10, 1, 'x'), order(1, 'b', 25, 2, 'y'), order(2, 'a', 30, 1, 'z')];
  const again = await runCli(['build', ...vars(second)], { cwd: dir });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const history = await queryStore<{ row: string }>(
    store,
    'shop',
    "select concat(toString(id), shop, toString(amount), '|', ifNull(note, 'NULL'), '|', toString(toUnixTimestamp(dbt_valid_to) - 1577836800)) as row from shop_hist.orders_snap order by row",
  );
  const open = String(Date.UTC(2099, 11, 31) / 1000 - BASE);
  assert.deepEqual(
    history.map((r) => r.row),
    [`1a10|NULL|${open}`, '1b20|NULL|2', `1b25|y|${open}`, `2a30|NULL|${open}`],
    'the changed row closed at the new version, old rows NULL in the new column',
  );
  assert.deepEqual(
    (await current()).map((r) => `${r.id}${r.shop}${r.amount}`),
    ['1a10', '1b25', '2a30'],
  );

  // `run` takes no snapshot; `snapshot --select` takes only the one selected.
  const run = await runCli(['run', ...vars(second), '--json'], { cwd: dir });
  assert.equal(run.code, 0, run.stdout);
  assert.ok(
    !run.events.some((e) => e.type === 'dbt.node.done' && String(e.uniqueId).startsWith('snapshot.')),
  );
  const only = await runCli(['snapshot', '--select', 'orders_snap', ...vars(second), '--json'], { cwd: dir });
  assert.equal(only.code, 0, only.stdout);
  assert.deepEqual(
    only.events.filter((e) => e.type === 'dbt.node.done').map((e) => e.uniqueId),
    ['snapshot.shop.orders_snap'],
  );
  const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
  const node = manifest.nodes['snapshot.shop.orders_snap'];
  assert.equal(node.resource_type, 'snapshot');
  assert.equal(node.schema, 'shop_hist');
  assert.deepEqual(node.depends_on.nodes, ['model.shop.orders']);
  assert.deepEqual(manifest.nodes['model.shop.current_orders'].depends_on.nodes, [
    'snapshot.shop.orders_snap',
  ]);
});

interface Store {
  readonly dump: () => Promise<unknown[]>;
  readonly tables: () => Promise<string[]>;
}

/** Failures before and during the merge, and SQL that does not compile: the live snapshot stays. */
async function failedRunsLeaveSnapshot(dir: string, { dump, tables }: Store): Promise<void> {
  const vars = (rows: string[], fail = 0) => [
    '--vars',
    JSON.stringify({ orders: rows.join(' union all '), fail }),
  ];
  const ok = await runCli(['build', ...vars([order(1, 'a', 10, 1), order(2, 'a', 30, 1)])], { cwd: dir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const before = await dump();
  assert.ok(before.length >= 2, 'the snapshot holds both rows');
  assert.deepEqual(await tables(), ['orders_snap']);
  // A statement killed part-way (throwIf on a row), then SQL that does not compile, each with changes pending.
  const changed = [order(1, 'a', 11, 2), order(2, 'a', 31, 2), order(3, 'a', 5, 2)];
  const failed = await runCli(['build', ...vars(changed, 1)], { cwd: dir });
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(failed.stdout, /ERROR=1/);
  assert.deepEqual(await dump(), before);
  assert.deepEqual(await tables(), ['orders_snap']);
  // A key expression that throws on a snapshotted row gone from the source: the staging table is
  // built, then the merge into the next table fails.
  const key = ['concat(toString(id), shop, toString(throwIf(id = 2)))'];
  const gone = [order(1, 'a', 11, 2), order(3, 'a', 5, 2)];
  const merging = await runCli(
    ['build', '--vars', JSON.stringify({ orders: gone.join(' union all '), key })],
    {
      cwd: dir,
    },
  );
  assert.equal(merging.code, 1, merging.stdout);
  assert.match(merging.stdout, /throwIf/, merging.stdout);
  assert.deepEqual(await dump(), before);
  assert.deepEqual(await tables(), ['orders_snap']);
  writeFiles(dir, { 'models/orders.sql': "{{ var('orders') }} union all select nonsense(\n" });
  const bad = await runCli(['build', ...vars(changed)], { cwd: dir });
  assert.equal(bad.code, 1, bad.stdout);
  assert.deepEqual(await dump(), before);
  assert.deepEqual(await tables(), ['orders_snap']);
}

test('a failing snapshot run leaves the live snapshot as it was, and no helper table (chDB)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, ordersProject(shopProfile(dir)));
  await failedRunsLeaveSnapshot(dir, {
    dump: () => queryStore(store, 'shop', 'select * from shop_hist.orders_snap order by id'),
    tables: async () =>
      (
        await queryStore<{ name: string }>(
          store,
          'shop',
          "select name from system.tables where database = 'shop_hist' order by name",
        )
      ).map((r) => r.name),
  });
});

test('a failing snapshot run leaves the live snapshot as it was (server)', async (t) => {
  const skip = await serverSkipReason();
  if (skip) return t.skip(skip);
  const dir = tempDir(t);
  const { schema, post, profile } = scratchServerSchema(t, 'dbt_snapf', 'shop');
  t.after(() => post(`DROP DATABASE IF EXISTS ${schema}_hist`).catch(() => undefined));
  writeFiles(dir, ordersProject(profile));
  await failedRunsLeaveSnapshot(dir, {
    dump: async () =>
      (await post(`select * from ${schema}_hist.orders_snap order by id format TSV`)).split('\n'),
    tables: async () =>
      (
        await post(
          `select name from system.tables where database = '${schema}_hist' order by name format TSV`,
        )
      )
        .trim()
        .split('\n'),
  });
});

test('snapshot configuration errors name the file and line', async (t) => {
  const cases: [string, RegExp, string][] = [
    [
      "{{ config(strategy='timestamp', updated_at='u') }}",
      /snapshots\/s\.sql:2: snapshot "s" has no unique_key/,
      'PARSE_PROJECT',
    ],
    [
      "{{ config(strategy='timestamp', unique_key='id') }}",
      /snapshots\/s\.sql:2: snapshot "s" uses strategy timestamp without updated_at/,
      'PARSE_PROJECT',
    ],
    [
      "{{ config(strategy='check', unique_key='id') }}",
      /uses strategy check without check_cols/,
      'PARSE_PROJECT',
    ],
    ["{{ config(strategy='merge', unique_key='id') }}", /the custom strategy "merge"/, 'DBT_UNSUPPORTED'],
    ["{{ config(unique_key='id') }}", /snapshots\/s\.sql:2: snapshot "s" has no strategy/, 'PARSE_PROJECT'],
    [
      "{{ config(strategy='check', unique_key='id', check_cols='all', hard_deletes='purge') }}",
      /hard_deletes "purge"/,
      'PARSE_PROJECT',
    ],
  ];
  for (const [config, message, code] of cases) {
    const dir = tempDir(t);
    writeFiles(dir, {
      ...chdbProject('u', join(dir, 'warehouse')),
      'snapshots/s.sql': `\n{% snapshot s %}\n${config}\nselect 1 as id, now() as u\n{% endsnapshot %}\n`,
    });
    const result = await runCli(['ls', '--json'], { cwd: dir });
    assert.equal(result.code, 2, result.stdout);
    const error = result.events.find((e) => e.type === 'error');
    assert.equal(error?.code, code, result.stdout);
    assert.match(String(error?.message), message);
  }
});

test('check_cols all: a column new in the source makes every current row a new version, as dbt', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, {
    'dbt_project.yml': 'name: snap\nprofile: snap\n',
    'profiles.yml': chdbProfile(dir),
    'snapshots/s.yml':
      "snapshots:\n  - name: s\n    relation: source('raw', 'items')\n    config: {unique_key: id, strategy: check, check_cols: all}\n",
    'models/sources.yml': 'sources:\n  - name: raw\n    schema: snap\n    tables: [{name: items}]\n',
    'models/items.sql': "{{ config(alias='items', materialized='table') }}\n{{ var('rows') }}\n",
  });
  const build = (rows: string) => runCli(['build', '--vars', JSON.stringify({ rows })], { cwd: dir });
  const first = await build("select 1 as id, 'a' as v union all select 2 as id, 'b' as v");
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const second = await build(
    "select 1 as id, 'a' as v, 'n' as extra union all select 2 as id, 'b' as v, 'n' as extra",
  );
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const rows = await queryStore<{ row: string }>(
    store,
    'snap',
    "select concat(toString(id), v, '|', ifNull(extra, 'NULL'), '|', toString(dbt_valid_to is null)) as row from snap.s order by row",
  );
  assert.deepEqual(
    rows.map((r) => r.row),
    ['1a|NULL|0', '1a|n|1', '2b|NULL|0', '2b|n|1'],
  );
});

test('a snapshot table takes the table configs (order_by, primary_key); build --empty keeps its history (inputs read no rows)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, {
    'dbt_project.yml': 'name: snap\nprofile: snap\n',
    'profiles.yml': chdbProfile(dir),
    'snapshots/s.yml':
      "snapshots:\n  - name: s\n    relation: ref('items')\n    config: {unique_key: id, strategy: check, check_cols: all, hard_deletes: invalidate, order_by: [id, dbt_valid_from], primary_key: id}\n",
    'models/items.sql': "select 1 as id, 'a' as v union all select 2 as id, 'b' as v\n",
  });
  const history = async () =>
    (
      await queryStore<{ row: string }>(
        store,
        'snap',
        "select concat(toString(id), v, '|', toString(dbt_valid_to is null), '|', toString(dbt_valid_from)) as row from snap.s order by row",
      )
    ).map((r) => r.row);
  assert.equal((await runCli(['build'], { cwd: dir })).code, 0);
  const before = await history();
  assert.equal(before.length, 2);
  // The table takes the model configs a snapshot may set (order_by, primary_key …), as a table model does.
  const [engine] = await queryStore<{ e: string }>(
    store,
    'snap',
    "select engine_full as e from system.tables where database = 'snap' and name = 's'",
  );
  assert.match(engine!.e, /PRIMARY KEY \(id\) ORDER BY \(id, dbt_valid_from\)/);
  const empty = await runCli(['build', '--empty'], { cwd: dir });
  assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  assert.deepEqual(await history(), before);
});
