import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { scratchServerSchema, serverAvailable, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { commandStore, queryStore } from '../helpers/store.ts';

/**
 * Real failures part-way through a model (a throwIf on one of the last rows, after earlier blocks were
 * written) through the CLI, for every materialization and incremental strategy, on a first build and
 * on a later one, on chDB and on the 18.16 server: the live table is absent, or exactly what it was.
 * Then an interrupted build (SIGINT mid-model) and the sweep of a dead invocation's helpers.
 */

const MODELS = ['t_table', 'i_legacy', 'i_append', 'i_delete', 'i_overwrite'];

function atomicProject(profile: string): Record<string, string> {
  const body = `
select toUInt64(number) as id, toUInt8(number % 3) as p, toUInt32({{ var('v') }}) as v
from numbers({{ var('n') }})
where throwIf({{ var('fail') }} = 1 and number >= {{ var('n') }} - 5) = 0
`;
  return {
    'dbt_project.yml': `
name: atomic
profile: atomic
models:
  atomic:
    +materialized: incremental
    +order_by: id
    # Small blocks, one thread: the rows before the failing one are written in earlier blocks.
    +query_settings: {max_block_size: 100, min_insert_block_size_rows: 100, max_threads: 1}
`,
    'profiles.yml': profile,
    'models/t_table.sql': `{{ config(materialized='table') }}${body}`,
    'models/i_legacy.sql': `{{ config(unique_key='id') }}${body}`,
    'models/i_append.sql': `{{ config(incremental_strategy='append', partition_by='p') }}${body}`,
    'models/i_delete.sql': `{{ config(incremental_strategy='delete+insert', unique_key='id', partition_by='p') }}${body}`,
    'models/i_overwrite.sql': `{{ config(incremental_strategy='insert_overwrite', partition_by='p') }}${body}`,
  };
}

interface Engine {
  readonly dump: (table: string) => Promise<string>;
  readonly tables: () => Promise<string[]>;
  readonly command: (sql: string) => Promise<void>;
  readonly env: NodeJS.ProcessEnv;
}

async function failedBuildsLeaveLiveTables(dir: string, engine: Engine): Promise<void> {
  const build = async (vars: string) => {
    const result = await runCli(['build', '--vars', vars], { cwd: dir, env: engine.env });
    return { ...result, output: result.stdout + result.stderr };
  };
  const first = await build('{n: 3000, v: 1, fail: 1}');
  assert.equal(first.code, 1, first.output);
  assert.match(first.output, /ERROR=5/, first.output);
  assert.deepEqual(await engine.tables(), [], 'a failed first build leaves no table, not even a helper');

  // A helper of a dead invocation (another id) is dropped by the next command.
  await engine.command('create table t_table__dbt_tmp_0123456789ab (x UInt8) engine = Log');
  const good = await build('{n: 3000, v: 1, fail: 0}');
  assert.equal(good.code, 0, good.output);
  assert.match(good.output, /Dropped 1 helper table\(s\) left by an interrupted run/, good.output);
  assert.deepEqual(await engine.tables(), [...MODELS].sort());
  const before = new Map<string, string>();
  for (const model of MODELS) before.set(model, await engine.dump(model));
  assert.equal(before.get('t_table')!.split('\n').length, 3001, 'columns line + 3000 rows');

  const later = await build('{n: 4000, v: 2, fail: 1}');
  assert.equal(later.code, 1, later.output);
  assert.match(later.output, /ERROR=5/, later.output);
  for (const model of MODELS)
    assert.equal(await engine.dump(model), before.get(model), `${model} is unchanged by the failed build`);
  assert.deepEqual(await engine.tables(), [...MODELS].sort(), 'no helper is left');
}

test('a model failing part-way leaves its live table absent or unchanged (chDB)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(
    dir,
    atomicProject(
      `atomic:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: atomic}\n`,
    ),
  );
  await failedBuildsLeaveLiveTables(dir, {
    env: {},
    dump: async (table) => {
      const columns = await queryStore<{ name: string; type: string }>(
        store,
        'atomic',
        `describe atomic.${table}`,
      );
      const rows = await queryStore<Record<string, unknown>>(
        store,
        'atomic',
        `select * from atomic.${table}`,
      );
      return [
        columns.map((c) => `${c.name} ${c.type}`).join(', '),
        ...rows.map((r) => JSON.stringify(r)).sort(),
      ].join('\n');
    },
    tables: async () =>
      (
        await queryStore<{ name: string }>(
          store,
          'atomic',
          "select name from system.tables where database = 'atomic' and substring(name, 1, 6) != '_dema_' order by name",
        )
      ).map((row) => row.name),
    command: (sql) => commandStore(store, 'atomic', sql),
  });
});

test('a model failing part-way leaves its live table absent or unchanged (server)', async (t) => {
  if (!(await serverAvailable())) return t.skip('no ClickHouse server on this machine');
  const dir = tempDir(t);
  const { schema, post, profile } = scratchServerSchema(t, 'dbt_atomic', 'atomic');
  writeFiles(dir, atomicProject(profile));
  await post(`CREATE DATABASE IF NOT EXISTS ${schema}`);
  await failedBuildsLeaveLiveTables(dir, {
    env: {},
    dump: async (table) => {
      const columns = await post(`describe ${schema}.${table} format TSV`);
      const rows = (await post(`select * from ${schema}.${table} format TSV`)).trim().split('\n').sort();
      return [columns.trim().split('\n').join(', '), ...rows].join('\n');
    },
    tables: async () =>
      (
        await post(
          `select name from system.tables where database = '${schema}' and substring(name, 1, 6) != '_dema_' order by name format TSV`,
        )
      )
        .trim()
        .split('\n')
        .filter(Boolean),
    command: async (sql) => {
      await post(sql.replace('create table ', `create table ${schema}.`));
    },
  });
});

test('SIGINT / SIGTERM mid-model: the run stops, drops its helpers, reports and exits 130 / 143 (chDB)', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, {
    'dbt_project.yml':
      'name: stop\nprofile: stop\nmodels:\n  stop:\n    +materialized: table\n    +order_by: id\n',
    'profiles.yml': `stop:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: stop}\n`,
    // About 4 s with the sleep on, in 100-row blocks.
    'models/slow.sql':
      "{{ config(query_settings={'max_block_size': 100}) }}\nselect toUInt64(number) as id, toUInt32({{ var('v') }}) as v, sleepEachRow({{ var('sleep') }}) as s from numbers(2000)\n",
    'models/after.sql': "select * from {{ ref('slow') }}\n",
  });
  const dump = async () =>
    JSON.stringify(await queryStore(store, 'stop', 'select * from stop.slow order by id'));
  const tables = async () =>
    (
      await queryStore<{ name: string }>(
        store,
        'stop',
        "select name from system.tables where database = 'stop' and substring(name, 1, 6) != '_dema_' order by name",
      )
    ).map((row) => row.name);
  const built = await runCli(['run', '--vars', '{v: 1, sleep: 0}'], { cwd: dir });
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const before = await dump();
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    const stopped = await runCli(['run', '--json', '--vars', '{v: 2, sleep: 0.002}'], {
      cwd: dir,
      onEvent: (event, child) => {
        if (event.type === 'dbt.node.start' && event.uniqueId === 'model.stop.slow')
          setTimeout(() => child.kill(signal), 800);
      },
    });
    const output = stopped.stdout + stopped.stderr;
    assert.equal(stopped.code, code, output);
    const done = stopped.events.filter((e) => e.type === 'dbt.node.done');
    assert.deepEqual(
      done.map((e) => [e.uniqueId, e.status]),
      [
        ['model.stop.slow', 'error'],
        ['model.stop.after', 'skipped'],
      ],
      output,
    );
    assert.equal(done[0]!.code, 'INTERRUPTED', output);
    assert.ok(
      stopped.events.some((e) => e.type === 'dbt.done'),
      'the summary is reported',
    );
    assert.equal(await dump(), before, `${signal}: the live table is unchanged`);
    assert.deepEqual(await tables(), ['after', 'slow'], `${signal}: no helper is left`);
  }
});
