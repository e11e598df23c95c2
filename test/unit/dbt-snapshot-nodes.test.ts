import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProject } from '../../src/dbt/parser/parse-project.ts';
import { DemaError } from '../../src/errors.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

/**
 * Snapshot nodes as dbt parses them (dbt-semantics.md §1.2, §2.5): both definition forms, config
 * precedence project tree < YAML < config(), schema from `schema` (generate_schema_name) or legacy
 * `target_schema` (as is), refs and depends_on, a package's snapshots under its own name.
 */

const TARGET = { schema: 'analytics', name: 'dev', type: 'clickhouse' };

function parse(t: Parameters<typeof tempDir>[0], files: Record<string, string>) {
  const dir = tempDir(t);
  writeFiles(dir, files);
  return parseProject({ projectDir: dir, target: TARGET, env: {} });
}

const PROJECT = [
  'name: shop',
  'profile: shop',
  'snapshots:',
  '  shop:',
  '    +strategy: check',
  '    +check_cols: all',
  '    +unique_key: id',
  '    +tags: [tree]',
  '    history:',
  '      +schema: hist',
  '',
].join('\n');

test('snapshot nodes: both forms, config precedence, schema, refs, fqn', (t) => {
  const parsed = parse(t, {
    'dbt_project.yml': PROJECT,
    'models/orders.sql': 'select 1 as id, now() as updated_at\n',
    'models/reads.sql': "select * from {{ ref('orders_legacy') }}\n",
    'snapshots/history/legacy.sql': [
      '-- two blocks in one file',
      '{% snapshot orders_legacy %}',
      "{{ config(strategy='timestamp', updated_at='updated_at', target_schema='snapshots') }}",
      "select * from {{ ref('orders') }}",
      '{% endsnapshot %}',
      '{% snapshot orders_plain %}',
      "select * from {{ ref('orders') }}",
      '{% endsnapshot %}',
    ].join('\n'),
    'snapshots/props.yml': [
      'snapshots:',
      '  - name: orders_legacy',
      '    config: {unique_key: [id, updated_at], tags: [yaml]}',
      '  - name: orders_yaml',
      "    relation: ref('orders')",
      '    config: {hard_deletes: invalidate, schema: yml}',
    ].join('\n'),
  });
  const node = (name: string) => parsed.manifest.nodes.get(`snapshot.shop.${name}`)!;
  const legacy = node('orders_legacy');
  assert.equal(legacy.resourceType, 'snapshot');
  assert.deepEqual(legacy.fqn, ['shop', 'history', 'orders_legacy']);
  assert.equal(legacy.config.strategy, 'timestamp', 'config() over the tree');
  assert.deepEqual(legacy.config.unique_key, ['id', 'updated_at'], 'YAML over the tree');
  assert.equal(legacy.config.check_cols, 'all', 'the tree');
  assert.deepEqual(legacy.tags, ['tree', 'yaml'], 'tags accumulate');
  assert.equal(legacy.schema, 'snapshots', 'target_schema as is');
  assert.equal(legacy.relationName, '`snapshots`.`orders_legacy`');
  assert.deepEqual(legacy.dependsOn, ['model.shop.orders']);
  assert.equal(legacy.originalFilePath, 'snapshots/history/legacy.sql');
  assert.equal(legacy.lineOf?.(), 2);
  assert.equal(
    node('orders_plain').schema,
    'analytics_hist',
    'the folder +schema, through generate_schema_name',
  );
  assert.equal(node('orders_plain').config.hard_deletes, 'ignore');
  const yaml = node('orders_yaml');
  assert.equal(yaml.schema, 'analytics_yml');
  assert.equal(yaml.config.hard_deletes, 'invalidate');
  assert.deepEqual(yaml.dependsOn, ['model.shop.orders']);
  assert.match(yaml.rawCode, /select \* from \{\{ ref\('orders'\) \}\}/);
  assert.deepEqual(parsed.manifest.nodes.get('model.shop.reads')!.dependsOn, ['snapshot.shop.orders_legacy']);
});

test("a package's snapshot is a node of the package; invalidate_hard_deletes is hard_deletes: invalidate", (t) => {
  const parsed = parse(t, {
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'dbt_packages/pkg/dbt_project.yml': 'name: pkg\n',
    'dbt_packages/pkg/snapshots/s.sql':
      "{% snapshot pkg_snap %}{{ config(strategy='check', check_cols=['a'], unique_key='a', invalidate_hard_deletes=True) }}select 1 as a{% endsnapshot %}",
  });
  const node = parsed.manifest.nodes.get('snapshot.pkg.pkg_snap')!;
  assert.equal(node.packageName, 'pkg');
  assert.equal(node.config.hard_deletes, 'invalidate');
});

test('snapshot definition errors: a stray .sql, two definitions of one name', (t) => {
  const base = { 'dbt_project.yml': 'name: shop\nprofile: shop\n' };
  const fails = (files: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => parse(t, { ...base, ...files }),
      (error: unknown) => error instanceof DemaError && pattern.test(error.message),
    );
  fails(
    { 'snapshots/bare.sql': 'select 1\n' },
    /snapshots\/bare\.sql:1: a \.sql file in snapshot-paths without/,
  );
  fails(
    {
      'snapshots/a.sql':
        "{% snapshot s %}{{ config(strategy='check', check_cols='all', unique_key='id') }}select 1 as id{% endsnapshot %}",
      'snapshots/p.yml': "snapshots:\n  - name: s\n    relation: ref('m')\n",
      'models/m.sql': 'select 1 as id\n',
    },
    /snapshots\/p\.yml:2: snapshot "s" is defined twice/,
  );
});
