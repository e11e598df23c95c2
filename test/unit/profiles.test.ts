import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadProfile, renderProfileValue } from '../../src/dbt/project/profiles.ts';

const PROFILES = `
dema:
  target: dev
  outputs:
    dev:
      type: chdb
      path: .dema/warehouse
      schema: dema
    prod:
      type: clickhouse
      host: "{{ env_var('CLICKHOUSE_HOST', 'localhost') }}"
      port: "{{ env_var('CLICKHOUSE_PORT', '8123') | as_number }}"
      user: "{{ env_var('CLICKHOUSE_USER') }}"
      password: "{{ env_var('CLICKHOUSE_PASSWORD', '') }}"
      schema: dema
      threads: 4
`;

test('env_var renders values and defaults; a missing one without default names it', () => {
  assert.equal(renderProfileValue("{{ env_var('X') }}", { X: '1' }, 'p.yml'), '1');
  assert.equal(renderProfileValue("{{ env_var('X', 'd') }}", {}, 'p.yml'), 'd');
  assert.throws(
    () => renderProfileValue("{{ env_var('NOPE') }}", {}, 'p.yml: dema.outputs.dev.user'),
    /p\.yml: dema\.outputs\.dev\.user: env_var\('NOPE'\) is not set/,
  );
});

test('profiles are found in the project dir and targets map to warehouse configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dema-profiles-'));
  writeFileSync(join(dir, 'profiles.yml'), PROFILES);
  const dev = loadProfile({ profileName: 'dema', projectDir: dir, cwd: tmpdir(), env: {} });
  assert.deepEqual(dev.target, { type: 'chdb', path: join(dir, '.dema/warehouse'), schema: 'dema' });
  const prod = loadProfile({
    profileName: 'dema',
    targetName: 'prod',
    projectDir: dir,
    cwd: tmpdir(),
    env: { CLICKHOUSE_USER: 'dema', CLICKHOUSE_PORT: '18123' },
  });
  assert.equal(prod.target.type, 'clickhouse');
  assert.equal(prod.threads, 4);
  assert.deepEqual(
    prod.target.type === 'clickhouse' && [
      prod.target.host,
      prod.target.port,
      prod.target.user,
      prod.target.schema,
    ],
    ['localhost', 18123, 'dema', 'dema'],
  );
  assert.throws(
    () => loadProfile({ profileName: 'dema', targetName: 'qa', projectDir: dir, cwd: tmpdir(), env: {} }),
    /has no target "qa"[\s\S]*/,
  );
  assert.throws(
    () => loadProfile({ profileName: 'other', projectDir: dir, cwd: tmpdir(), env: {} }),
    /no profile "other"/,
  );
});
