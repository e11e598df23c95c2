import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { scratchServerSchema, serverSkipReason, tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// dbt's command-line flags on a small project in embedded ClickHouse: --empty (ClickHouse's
// system.columns is the oracle: an --empty build has the columns and types of a normal one, with
// zero rows), --warn-error / --warn-error-options exit codes, --selector, --indirect-selection,
// --target-path, --profile, -q and --log-format json after the subcommand.

function project(dir: string): Record<string, string> {
  const wh = join(dir, 'wh');
  return {
    'dbt_project.yml': 'name: flags\nprofile: flags\n',
    'profiles.yml': `flags:
  target: dev
  outputs:
    dev: {type: chdb, path: "${wh}", schema: full}
    empty: {type: chdb, path: "${wh}", schema: emptied}
alt:
  target: dev
  outputs:
    dev: {type: chdb, path: "${wh}", schema: alt}
`,
    'seeds/raw_orders.csv':
      'id,customer,amount,placed_at\n1,ann,10.50,2024-01-01 10:00:00\n2,bob,3.25,2024-01-02 11:00:00\n3,cy,7.00,2024-01-03 12:00:00\n',
    'models/sources.yml':
      'version: 2\nsources:\n  - name: raw\n    schema: full\n    tables:\n      - name: orders\n        identifier: raw_orders\n        loaded_at_field: "toDateTime(placed_at, \'UTC\')"\n        freshness: {warn_after: {count: 1, period: day}}\n',
    'models/stg_orders.sql':
      "{{ config(materialized='view', tags=['nightly']) }}\nselect id, customer, toDecimal64(amount, 2) as amount, toDateTime(placed_at, 'UTC') as placed_at from {{ ref('raw_orders') }}\n",
    'models/eph.sql':
      "{{ config(materialized='ephemeral') }}\nselect customer, count() as n from {{ ref('stg_orders') }} group by customer\n",
    'models/customers.sql':
      "{{ config(materialized='table') }}\nselect o.customer as customer, sum(o.amount) as total, max(e.n) as n\nfrom {{ ref('stg_orders') }} as o join {{ ref('eph') }} as e on e.customer = o.customer\ngroup by o.customer\n",
    'models/inc.sql':
      "{{ config(materialized='incremental', order_by='id') }}\nselect id, amount from {{ ref('stg_orders') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
    'models/from_source.sql':
      "{{ config(materialized='table', tags=['nightly']) }}\nselect id, customer, amount * 2 as double_amount, placed_at from {{ source('raw', 'orders') }}\n",
    'models/schema.yml': `version: 2
models:
  - name: stg_orders
    columns:
      - name: id
        tests: [unique]
      - name: customer
        tests:
          - accepted_values: {values: [ann, bob], config: {severity: warn}}
  - name: customers
    columns:
      - name: customer
        tests:
          - relationships: {to: ref('from_source'), field: customer}
`,
    'selectors.yml': `selectors:
  - name: nightly
    definition: 'tag:nightly'
  - name: staging_down
    default: true
    definition:
      method: fqn
      value: stg_orders
      children: true
      children_depth: 1
      exclude:
        - method: fqn
          value: inc
  - name: nothing
    definition: {method: tag, value: no_such_tag}
`,
  };
}

const MODELS = ['stg_orders', 'customers', 'inc', 'from_source'];

test('--empty builds every relation with zero rows and the column types of a normal build', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const wh = join(dir, 'wh');
  // The source reads the seed's table: seed first (no DAG edge between them). `-s fqn:*`: the
  // project's default selector takes only part of it.
  assert.equal((await cli('seed', '-s', 'fqn:*')).code, 0);
  const full = await cli('build', '-s', 'fqn:*');
  assert.equal(full.code, 0, full.stdout + full.stderr);
  const empty = await cli('build', '--empty', '--target', 'empty', '-s', 'fqn:*');
  assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  const columns = (schema: string) =>
    queryStore<{ table: string; name: string; type: string; position: string }>(
      wh,
      'default',
      `select table, name, type, position from system.columns where database = '${schema}' and table in (${MODELS.map((m) => `'${m}'`).join(',')}) order by table, position`,
    );
  const normal = await columns('full');
  assert.equal(new Set(normal.map((c) => c.table)).size, MODELS.length);
  assert.deepEqual(await columns('emptied'), normal);
  for (const model of MODELS) {
    const [row] = await queryStore<{ n: string }>(wh, 'emptied', `select count() as n from emptied.${model}`);
    assert.equal(Number(row!.n), 0, model);
    const [was] = await queryStore<{ n: string }>(wh, 'full', `select count() as n from full.${model}`);
    assert.ok(Number(was!.n) > 0, model);
  }
  // dbt 1.10: seeds load their rows under --empty (only refs and sources are limited).
  const [seed] = await queryStore<{ n: string }>(
    wh,
    'emptied',
    'select count() as n from emptied.raw_orders',
  );
  assert.equal(Number(seed!.n), 3);

  // dbt's text, no alias of its own (dbt-clickhouse: require_alias = False); sources and ephemerals too.
  const compiled = (model: string) =>
    readFileSync(join(dir, 'target/compiled/flags/models', `${model}.sql`), 'utf8');
  assert.match(
    compiled('customers'),
    /from \(select \* from `emptied`\.`stg_orders` where false limit 0\) as o join/,
  );
  assert.match(compiled('customers'), /join \(select \* from __dbt__cte__eph where false limit 0\) as e on/);
  assert.match(compiled('from_source'), /from \(select \* from `full`\.`raw_orders` where false limit 0\)$/);
  // `this` is never limited: the incremental branch reads the model's own rows.
  const again = await cli('run', '-s', 'inc', '--empty', '--target', 'empty');
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(
    compiled('inc'),
    /from \(select \* from `emptied`\.`stg_orders` where false limit 0\)\nwhere id > \(select max\(id\) from `emptied`\.`inc`\)/,
  );
  // Without --empty nothing is wrapped; DBT_EMPTY=1 is --empty.
  assert.equal((await cli('compile', '-s', 'customers')).code, 0);
  assert.doesNotMatch(compiled('customers'), /limit 0/);
  const viaEnv = await runCli(['compile', '-s', 'customers'], { cwd: dir, env: { DBT_EMPTY: '1' } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(compiled('customers'), /where false limit 0/);
  // flags.EMPTY is true under --empty only.
  writeFiles(dir, { 'models/flag.sql': "select '{{ 'on' if flags.EMPTY else 'off' }}' as e\n" });
  assert.equal((await cli('compile', '-s', 'flag', '--empty')).code, 0);
  assert.match(compiled('flag'), /'on' as e/);
  assert.equal((await cli('compile', '-s', 'flag')).code, 0);
  assert.match(compiled('flag'), /'off' as e/);
});

type Event = Record<string, unknown>;
const nodeDone = (events: Event[], name: string) =>
  events.find((e) => e.type === 'dbt.node.done' && String(e.uniqueId).includes(name));

test('--warn-error and --warn-error-options: warnings dbt names become errors, with its exit codes', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
  assert.equal((await cli(['seed', '-s', 'fqn:*'])).code, 0);
  assert.equal((await cli(['run', '-s', 'fqn:*'])).code, 0);

  // A severity-warn test with rows: WARN and exit 0 by default…
  const plain = await cli(['test', '-s', 'stg_orders', '--json']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(nodeDone(plain.events, 'accepted_values')?.status, 'warn');
  // …a failure (dbt's "configured to fail if" message, exit 1) when LogTestResult is an error.
  const failing: [string[], Record<string, string>][] = [
    [['--warn-error'], {}],
    [['--warn-error-options', '{include: [LogTestResult]}'], {}],
    [['--warn-error-options', '{"error": "all"}'], {}],
    [[], { DBT_WARN_ERROR: 'true' }],
    [[], { DBT_WARN_ERROR_OPTIONS: '{include: all}' }],
  ];
  for (const [flags, env] of failing) {
    const run = await cli(['test', '-s', 'stg_orders', '--json', ...flags], env);
    assert.equal(run.code, 1, `${flags.join(' ')} ${JSON.stringify(env)}`);
    const done = nodeDone(run.events, 'accepted_values')!;
    assert.equal(done.status, 'fail');
    assert.equal(done.message, 'Got 1 result, configured to fail if != 0');
  }
  for (const flags of [
    ['--warn-error-options', '{include: all, exclude: [LogTestResult]}'],
    ['--warn-error-options', '{error: all, warn: [LogTestResult]}'],
    ['--warn-error-options', '{include: [NoNodesForSelectionCriteria]}'],
  ])
    assert.equal((await cli(['test', '-s', 'stg_orders', ...flags])).code, 0, flags.join(' '));
  // As dbt: the two are mutually exclusive, from the command line or the environment.
  const both = await cli(['ls', '--warn-error-options', '{include: []}'], { DBT_WARN_ERROR: '1' });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /error \[USAGE\] DBT_WARN_ERROR is not allowed with --warn-error-options/);

  // In build a failed test skips what depends on its model (a warning does not).
  const build = await cli(['build', '-s', 'stg_orders+1', '--warn-error', '--json']);
  assert.equal(build.code, 1);
  assert.equal(nodeDone(build.events, 'model.flags.customers')?.status, 'skipped');
  const warnOnly = await cli(['build', '-s', 'stg_orders+1', '--json']);
  assert.equal(warnOnly.code, 0, warnOnly.stderr);
  assert.equal(nodeDone(warnOnly.events, 'model.flags.customers')?.status, 'success');

  // NoNodesForSelectionCriteria: a warning, or exit 2; an --exclude that matches nothing never errors.
  const nothing = await cli(['run', '-s', 'no_such_model']);
  assert.equal(nothing.code, 0);
  assert.match(nothing.stderr, /The selection criterion 'no_such_model' does not match any enabled nodes/);
  const strict = await cli(['run', '-s', 'no_such_model', '--warn-error']);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /error \[SELECT_INVALID\].*NoNodesForSelectionCriteria/);
  assert.equal(
    (await cli(['--warn-error', 'ls', '-s', 'no_such_model'])).code,
    2,
    'the flag also goes before the command',
  );
  assert.equal(
    (
      await cli([
        'run',
        '-s',
        'no_such_model',
        '--warn-error-options',
        '{include: all, exclude: [NoNodesForSelectionCriteria]}',
      ])
    ).code,
    0,
  );
  assert.equal((await cli(['ls', '--exclude', 'no_such_model', '--warn-error'])).code, 0);
  // Each part matches, their intersection nothing: one warning for the term, as dbt's. (With
  // customers.sql the intersection is not empty: each part takes the relationships test with it.)
  const disjoint = await cli(['ls', '-s', 'tag:nightly,path:models/inc.sql']);
  assert.equal(disjoint.code, 0);
  assert.deepEqual(disjoint.stderr.trim().split('\n'), [
    "warn  The selection criterion 'tag:nightly,path:models/inc.sql' does not match any enabled nodes.",
  ]);
  assert.equal((await cli(['ls', '-s', 'tag:nightly,path:models/inc.sql', '--warn-error'])).code, 2);
  assert.equal((await cli(['ls', '--selector', 'nothing', '--warn-error'])).code, 2);
  const silenced = await cli([
    'ls',
    '-s',
    'no_such_model',
    '--warn-error-options',
    '{silence: [NoNodesForSelectionCriteria]}',
  ]);
  assert.equal(silenced.code, 0);
  assert.doesNotMatch(silenced.stderr, /does not match/);

  // NoNodeForYamlKey (a YAML entry without its model) stops the command at parse time: exit 2.
  writeFileSync(join(dir, 'models/ghost.yml'), 'version: 2\nmodels:\n  - name: ghost\n');
  assert.equal((await cli(['ls'])).code, 0);
  const ghost = await cli(['ls', '--warn-error']);
  assert.equal(ghost.code, 2);
  assert.match(ghost.stderr, /ghost\.yml:3: model "ghost" is described.*NoNodeForYamlKey/);
  rmSync(join(dir, 'models/ghost.yml'));

  // JinjaLogWarning (exceptions.warn) while the node runs: the node errors (exit 1).
  writeFileSync(
    join(dir, 'models/careful.sql'),
    "{% if execute %}{% do exceptions.warn('careful now') %}{% endif %}select 1 as x\n",
  );
  const careful = await cli(['run', '-s', 'careful']);
  assert.equal(careful.code, 0, careful.stderr);
  assert.match(careful.stdout + careful.stderr, /careful now/);
  const carefulStrict = await cli([
    'run',
    '-s',
    'careful',
    '--warn-error-options',
    '{include: [JinjaLogWarning]}',
  ]);
  assert.equal(carefulStrict.code, 1);
  assert.match(
    carefulStrict.stdout,
    /ERROR.*careful[\s\S]*careful now \[JinjaLogWarning, an error with --warn-error\]/,
  );
  rmSync(join(dir, 'models/careful.sql'));

  // A stale source (warn_after only) exits 0; with LogFreshnessResult an error, 1.
  // (`-s`: the project's default selector takes no source.)
  const fresh = await cli(['source', 'freshness', '-s', 'source:raw', '--json']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.ok(fresh.events.some((e) => e.type === 'dbt.done' && e.warn === 1));
  assert.equal(
    (
      await cli([
        'source',
        'freshness',
        '-s',
        'source:raw',
        '--warn-error-options',
        '{include: [LogFreshnessResult]}',
      ])
    ).code,
    1,
  );

  // Usage errors: exit 2, coded.
  for (const flags of [
    ['--warn-error', '--warn-error-options', '{include: all}'],
    ['--warn-error-options', '{include: all, colour: red}'],
    ['--warn-error-options', '{include: [1]}'],
    ['--warn-error-options', '{include: all'],
    ['--log-format', 'xml'],
  ]) {
    const bad = await cli(['ls', ...flags]);
    assert.equal(bad.code, 2, flags.join(' '));
    assert.match(bad.stderr, /error \[USAGE\]/);
  }
});

test('--selector, default selector, --indirect-selection; --target-path, --profile, -q, --log-format json', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, project(dir));
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
  const ls = async (args: string[], env: Record<string, string> = {}) => {
    const result = await cli(['ls', '--output', 'name', ...args], env);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim().split('\n').filter(Boolean).sort();
  };
  // The default selector applies when neither --select nor --exclude is given (dbt's get_selection_spec).
  const byDefault = await ls([]);
  assert.deepEqual(byDefault, await ls(['-s', 'stg_orders+1', '--exclude', 'inc']));
  assert.deepEqual(byDefault, [
    'accepted_values_stg_orders_customer__ann__bob',
    'customers',
    'eph',
    'relationships_customers_customer__customer__ref_from_source_',
    'stg_orders',
    'unique_stg_orders_id',
  ]);
  assert.deepEqual(await ls(['--selector', 'nightly']), await ls(['-s', 'tag:nightly']));
  // --selector wins over --select.
  assert.deepEqual(await ls(['--selector', 'nightly', '-s', 'inc']), await ls(['-s', 'tag:nightly']));
  assert.ok(
    (await ls(['--exclude', 'inc'])).includes('from_source'),
    'an --exclude alone ignores the default',
  );
  // Indirect selection: the relationships test customers → from_source.
  assert.ok(
    (await ls(['-s', 'customers'])).includes('relationships_customers_customer__customer__ref_from_source_'),
  );
  assert.deepEqual(await ls(['-s', 'customers', '--indirect-selection', 'cautious']), ['customers']);
  assert.deepEqual(await ls(['-s', 'customers'], { DBT_INDIRECT_SELECTION: 'cautious' }), ['customers']);
  assert.deepEqual(await ls(['-s', 'stg_orders', '--indirect-selection', 'empty']), ['stg_orders']);
  assert.deepEqual(await ls(['-s', 'customers', 'from_source', '--indirect-selection', 'cautious']), [
    'customers',
    'from_source',
    'relationships_customers_customer__customer__ref_from_source_',
  ]);
  // Unit tests come through their model too, except in `empty` mode (then only by name).
  writeFileSync(
    join(dir, 'models/unit.yml'),
    "unit_tests:\n  - name: ut_stg\n    model: stg_orders\n    given:\n      - input: ref('raw_orders')\n        rows: [{id: 1}]\n    expect:\n      rows: [{id: 1}]\n",
  );
  assert.ok((await ls(['-s', 'stg_orders', '--indirect-selection', 'cautious'])).includes('ut_stg'));
  assert.deepEqual(await ls(['-s', 'stg_orders', '--indirect-selection', 'empty']), ['stg_orders']);
  assert.deepEqual(await ls(['-s', 'ut_stg', '--indirect-selection', 'empty']), ['ut_stg']);
  rmSync(join(dir, 'models/unit.yml'));
  const badMode = await cli(['ls', '--indirect-selection', 'lazy']);
  assert.equal(badMode.code, 2);
  assert.match(badMode.stderr, /error \[USAGE\] --indirect-selection lazy/);
  const unknown = await cli(['run', '--selector', 'nigthly']);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /error \[SELECT_INVALID\] --selector nigthly: no selector named 'nigthly' in selectors\.yml\.\n {2}hint: Defined selectors: nightly, staging_down, nothing\./,
  );
  // dbt 1.12's `selector:NAME` inside --select is not supported: a coded error, never an empty selection.
  const inline = await cli(['ls', '-s', 'selector:nightly']);
  assert.equal(inline.code, 2);
  assert.match(inline.stderr, /error \[SELECT_INVALID\] Unknown selection method "selector:"/);
  writeFileSync(
    join(dir, 'selectors.yml'),
    'selectors:\n  - name: x\n    definition:\n      method: tag\n      vale: y\n',
  );
  const badYaml = await cli(['ls', '--selector', 'x']);
  assert.equal(badYaml.code, 2);
  assert.match(
    badYaml.stderr,
    /error \[PARSE_YAML\] selectors\.yml:4: expected either 1 key or else "method" and "value"/,
  );
  rmSync(join(dir, 'selectors.yml'));

  // --target-path beats DBT_TARGET_PATH, which beats dbt_project.yml.
  rmSync(join(dir, 'target'), { recursive: true, force: true });
  const compiled = await cli(['compile', '-s', 'stg_orders', '--target-path', 'out'], {
    DBT_TARGET_PATH: 'env_out',
  });
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.ok(
    existsSync(join(dir, 'out/manifest.json')) &&
      existsSync(join(dir, 'out/compiled/flags/models/stg_orders.sql')),
  );
  assert.ok(!existsSync(join(dir, 'env_out')) && !existsSync(join(dir, 'target')));
  assert.equal((await cli(['parse'], { DBT_TARGET_PATH: 'env_out' })).code, 0);
  assert.ok(existsSync(join(dir, 'env_out/manifest.json')) && !existsSync(join(dir, 'target')));

  // --profile picks another profile of profiles.yml; -q and --log-format json after the subcommand.
  const quiet = await cli(['seed', '-s', 'raw_orders', '--profile', 'alt', '-q']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stdout, /START/);
  const [seeded] = await queryStore<{ n: string }>(
    join(dir, 'wh'),
    'alt',
    'select count() as n from alt.raw_orders',
  );
  assert.equal(Number(seeded!.n), 3);
  const missing = await cli(['seed', '-s', 'raw_orders', '--profile', 'nope']);
  assert.equal(missing.code, 2);
  const json = await cli(['run', '-s', 'stg_orders', '--log-format', 'json'], { DBT_PROFILE: 'alt' });
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n');
  assert.ok(lines.length > 2 && lines.every((line) => JSON.parse(line).type));
  assert.equal(nodeDone(json.events, 'stg_orders')?.status, 'success');
  // dbt's variables for the same: DBT_LOG_FORMAT=json and DBT_QUIET=1.
  const envJson = await cli(['run', '-s', 'stg_orders'], { DBT_PROFILE: 'alt', DBT_LOG_FORMAT: 'json' });
  assert.equal(envJson.code, 0, envJson.stderr);
  assert.ok(
    envJson.stdout
      .trim()
      .split('\n')
      .every((line) => JSON.parse(line).type),
  );
  const loud = await cli(['run', '-s', 'stg_orders'], { DBT_PROFILE: 'alt' });
  assert.match(loud.stdout, /START/);
  const envQuiet = await cli(['run', '-s', 'stg_orders'], { DBT_PROFILE: 'alt', DBT_QUIET: '1' });
  assert.equal(envQuiet.code, 0, envQuiet.stderr);
  assert.doesNotMatch(envQuiet.stdout, /START/);
  const [view] = await queryStore<{ n: string }>(
    join(dir, 'wh'),
    'alt',
    'select count() as n from alt.stg_orders',
  );
  assert.equal(Number(view!.n), 3);
});

test('--empty on the ClickHouse server (18.16 has no `false`: the predicate is `0` there)', async (t) => {
  const skip = await serverSkipReason();
  if (skip) return t.skip(skip);
  const dir = tempDir(t);
  const { schema, post, profile } = scratchServerSchema(t, 'flags_empty', 'flags');
  writeFiles(dir, {
    'dbt_project.yml': 'name: flags\nprofile: flags\n',
    'profiles.yml': profile,
    'models/base.sql':
      "{{ config(materialized='table') }}\nselect toUInt32(number) as id, toString(number) as s from system.numbers limit 4\n",
    'models/child.sql':
      "{{ config(materialized='table') }}\nselect id * 2 as twice, s from {{ ref('base') }} as b\n",
  });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const columns = () =>
    post(`select name, type from system.columns where database = '${schema}' and table = 'child' format TSV`);
  const run = await cli('run');
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const normal = await columns();
  assert.match(normal, /^twice\t/);
  const empty = await cli('run', '--empty');
  assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  assert.equal(await columns(), normal);
  assert.equal((await post(`select count() from ${schema}.child`)).trim(), '0');
  assert.equal(
    (await post(`select count() from ${schema}.base`)).trim(),
    '4',
    'base reads no ref: it keeps its rows',
  );
  const version = (await post('select version()')).trim();
  const compiled = readFileSync(join(dir, 'target/compiled/flags/models/child.sql'), 'utf8');
  const predicate = Number(version.split('.')[0]) < 20 ? '0' : 'false';
  assert.ok(
    compiled.includes(`from (select * from \`${schema}\`.\`base\` where ${predicate} limit 0) as b`),
    compiled,
  );
});
