import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.ts';
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
    if (index > 0) await sleep(1100); // one snapshot time per second: each run's own
    const before = Math.floor(Date.now() / 1000);
    // Alternately `build` (with the snapshot's tests) and `snapshot`.
    const build = onlyBuild || index % 2 === 0;
    const result = await runCli([build ? 'build' : 'snapshot'], { cwd: dir });
    windows.push([before, Math.ceil(Date.now() / 1000)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, build ? (onlyBuild ? /PASS=9 / : /PASS=8 /) : /PASS=6 /, result.stdout);
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
