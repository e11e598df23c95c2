import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { type HubRelease, sharedPackagesDir, startMockHub } from '../helpers/package-hub.ts';

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

const RELEASES: HubRelease[] = [
  { id: 'dbt-labs/dbt_utils', version: '0.9.0', folder: 'dbt_utils' },
  { id: 'dbt-labs/dbt_utils', version: '1.3.0', folder: 'dbt_utils' },
  { id: 'dbt-labs/dbt_utils', version: '1.4.1', folder: 'dbt_utils' },
  { id: 'dbt-labs/dbt_utils', version: '1.5.0-b1', folder: 'dbt_utils' },
  { id: 'dbt-labs/dbt_utils', version: '2.0.0', folder: 'dbt_utils' },
  {
    id: 'dbt-labs/audit_helper',
    version: '0.12.2',
    folder: 'audit_helper',
    dependencies: [{ package: 'dbt-labs/dbt_utils', version: ['>=0.9.0', '<2.0.0'] }],
  },
];

/** A project whose one model uses dbt_utils, on its own embedded warehouse. */
function project(dir: string, packagesYml: string): void {
  writeFiles(dir, {
    ...chdbProject('deps_test', join(dir, 'warehouse')),
    'packages.yml': packagesYml,
    'models/keyed.sql':
      "select {{ dbt_utils.generate_surrogate_key(['a']) }} as sk, a from (select arrayJoin([1, 2]) as a)\n",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: keyed\n    data_tests:\n      - dbt_utils.unique_combination_of_columns: {combination_of_columns: [sk]}\n',
  });
}

/** dbt's sha1_hash, computed by Python exactly as dbt does (json.dumps(sort_keys=True), sorted, joined). */
function pythonSha1(entries: unknown[]): string {
  const script =
    'import json,sys,hashlib\nentries=json.load(sys.stdin)\nlines=sorted(json.dumps(e, sort_keys=True) for e in entries)\nprint(hashlib.sha1("\\n".join(lines).encode()).hexdigest())';
  return execFileSync('python3', ['-c', script], { input: JSON.stringify(entries) })
    .toString()
    .trim();
}

async function hub(t: TestContext, releases = RELEASES) {
  const server = await startMockHub(releases, PACKAGES!, tempDir(t, 'dema-hub-'));
  t.after(() => server.close());
  return server;
}

const lockOf = (dir: string) =>
  parse(readFileSync(join(dir, 'package-lock.yml'), 'utf8')) as {
    packages: Record<string, string>[];
    sha1_hash: string;
  };

test('hub packages resolve transitively, the lock file is written and honoured, and installed packages run offline', {
  skip,
}, async (t) => {
  const server = await hub(t);
  const dir = tempDir(t);
  const packagesYml =
    'packages:\n  - package: dbt-labs/audit_helper\n    version: 0.12.2\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0", "<2.0.0"]\n';
  project(dir, packagesYml);
  const env = { DBT_PACKAGE_HUB_URL: server.url };
  const deps = await runCli(['deps'], { cwd: dir, env });
  assert.equal(deps.code, 0, deps.stderr);
  // Newest release inside >=1.0.0,<2.0.0 and audit_helper's >=0.9.0,<2.0.0; not the prerelease.
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/hub-version.txt'), 'utf8'), '1.4.1');
  assert.ok(existsSync(join(dir, 'dbt_packages/audit_helper/macros/compare_relations.sql')));
  const lock = lockOf(dir);
  assert.deepEqual(lock.packages, [
    { name: 'audit_helper', package: 'dbt-labs/audit_helper', version: '0.12.2' },
    { name: 'dbt_utils', package: 'dbt-labs/dbt_utils', version: '1.4.1' },
  ]);
  assert.equal(
    lock.sha1_hash,
    pythonSha1([
      { package: 'dbt-labs/audit_helper', version: '0.12.2' },
      { package: 'dbt-labs/dbt_utils', version: ['>=1.0.0', '<2.0.0'] },
    ]),
  );

  // A newer release appears: the lock still installs 1.4.1; --upgrade moves to 1.4.2.
  const newer = await hub(t, [
    ...RELEASES,
    { id: 'dbt-labs/dbt_utils', version: '1.4.2', folder: 'dbt_utils' },
  ]);
  const again = await runCli(['deps'], { cwd: dir, env: { DBT_PACKAGE_HUB_URL: newer.url } });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /from package-lock\.yml/);
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/hub-version.txt'), 'utf8'), '1.4.1');
  assert.ok(!newer.requests.includes('/api/v1/dbt-labs/dbt_utils.json'), 'the lock needs no version listing');
  const upgrade = await runCli(['deps', '--upgrade', '--json'], {
    cwd: dir,
    env: { DBT_PACKAGE_HUB_URL: newer.url },
  });
  assert.equal(upgrade.code, 0, upgrade.stderr);
  assert.deepEqual(upgrade.events.at(-1), {
    type: 'deps.done',
    installed: [
      { name: 'audit_helper', source: 'dbt-labs/audit_helper@0.12.2' },
      { name: 'dbt_utils', source: 'dbt-labs/dbt_utils@1.4.2' },
    ],
    fromLock: false,
    installPath: join(dir, 'dbt_packages'),
  });
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/hub-version.txt'), 'utf8'), '1.4.2');

  // The hub goes away: parse, run and test use the installed copies only.
  await server.close();
  await newer.close();
  const build = await runCli(['build'], { cwd: dir, env: { DBT_PACKAGE_HUB_URL: 'http://127.0.0.1:9/' } });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(build.stdout, /PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2/);
  // …and `deps` itself, needing the hub, fails clearly without touching what is installed.
  const offline = await runCli(['deps', '--upgrade'], {
    cwd: dir,
    env: { DBT_PACKAGE_HUB_URL: 'http://127.0.0.1:9/' },
  });
  assert.equal(offline.code, 1);
  assert.match(offline.stderr, /DEPS_FETCH.*cannot reach/);
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/hub-version.txt'), 'utf8'), '1.4.2');
});

test('a version conflict names both requirers; an unknown package names its line; nothing is installed', {
  skip,
}, async (t) => {
  const server = await hub(t);
  const env = { DBT_PACKAGE_HUB_URL: server.url };
  const dir = tempDir(t);
  project(
    dir,
    'packages:\n  - package: dbt-labs/dbt_utils\n    version: 2.0.0\n  - package: dbt-labs/audit_helper\n    version: 0.12.2\n',
  );
  const conflict = await runCli(['deps'], { cwd: dir, env });
  assert.equal(conflict.code, 2);
  assert.match(conflict.stderr, /DEPS_CONFLICT.*dbt-labs\/dbt_utils/);
  assert.match(conflict.stderr, /the root project \(packages\.yml:2\) requires 2\.0\.0/);
  assert.match(
    conflict.stderr,
    /package audit_helper \(audit_helper\/packages\.yml:\d+\) requires >=0\.9\.0, <2\.0\.0/,
  );
  assert.ok(!existsSync(join(dir, 'dbt_packages')) && !existsSync(join(dir, 'package-lock.yml')));

  project(
    dir,
    'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.4.1\n  - package: dbt-labs/no_such_package\n    version: 1.0.0\n',
  );
  const unknown = await runCli(['deps'], { cwd: dir, env });
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /DEPS_NOT_FOUND.*packages\.yml:4: package dbt-labs\/no_such_package is not on the package hub/,
  );
  const range = await runCli(['deps'], { cwd: writeRange(t), env });
  assert.equal(range.code, 2);
  assert.match(
    range.stderr,
    /no version satisfies >=3\.0\.0.*the hub has 0\.9\.0, 1\.3\.0, 1\.4\.1, 1\.5\.0-b1, 2\.0\.0/,
  );
  // Parsing a project whose packages are not installed says to run deps.
  const run = await runCli(['ls'], { cwd: dir });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /DEPS_NOT_INSTALLED.*no_such_package.*\n.*dema deps/);
});

function writeRange(t: TestContext): string {
  const dir = tempDir(t);
  project(dir, 'packages:\n  - package: dbt-labs/dbt_utils\n    version: [">=3.0.0"]\n');
  return dir;
}

test('git packages (file:// repository) install at a revision and subdirectory; local packages are linked; tarball packages download', {
  skip,
}, async (t) => {
  const repo = tempDir(t, 'dema-git-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo })
      .toString()
      .trim();
  git('init', '-q');
  cpSync(join(PACKAGES!, 'dbt_date'), join(repo, 'date'), { recursive: true });
  cpSync(join(PACKAGES!, 'dbt_utils'), join(repo, 'utils'), { recursive: true });
  writeFileSync(join(repo, 'utils', 'marker.txt'), 'tagged');
  git('add', '-A');
  git('commit', '-qm', 'one');
  git('tag', 'v1');
  const tagged = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'utils', 'marker.txt'), 'later');
  git('commit', '-qam', 'two');

  const local = tempDir(t, 'dema-local-');
  cpSync(join(PACKAGES!, 'codegen'), join(local, 'codegen'), { recursive: true });
  // codegen's own packages.yml asks the hub for dbt_utils: the git copy satisfies it (no hub here).

  const server = await hub(t);
  const tarball = `${server.url}tarballs/dbt-labs/audit_helper/0.12.2.tar.gz`;
  const dir = tempDir(t);
  project(
    dir,
    `packages:\n  - git: "file://${repo}"\n    revision: v1\n    subdirectory: utils\n  - git: "file://${repo}"\n    subdirectory: date\n  - local: ${join(local, 'codegen')}\n  - tarball: ${tarball}\n    name: audit_helper\n`,
  );
  // No hub reachable: codegen's hub requirement on dbt_utils must be met by the git copy.
  const offline = { DBT_PACKAGE_HUB_URL: 'http://127.0.0.1:9/' };
  const deps = await runCli(['deps'], { cwd: dir, env: offline });
  assert.equal(deps.code, 0, deps.stderr);
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/marker.txt'), 'utf8'), 'tagged');
  assert.ok(existsSync(join(dir, 'dbt_packages/dbt_date/macros')));
  assert.ok(!existsSync(join(dir, 'dbt_packages/dbt_utils/.git')));
  assert.ok(lstatSync(join(dir, 'dbt_packages/codegen')).isSymbolicLink());
  const lock = lockOf(dir);
  const head = git('rev-parse', 'HEAD');
  assert.deepEqual(lock.packages, [
    { git: `file://${repo}`, name: 'dbt_utils', revision: tagged, subdirectory: 'utils' },
    { git: `file://${repo}`, name: 'dbt_date', revision: head, subdirectory: 'date' },
    { local: join(local, 'codegen'), name: 'codegen' },
    { name: 'audit_helper', tarball },
  ]);
  assert.equal(readFileSync(join(dir, 'dbt_packages/audit_helper/hub-version.txt'), 'utf8'), '0.12.2');
  // The lock pins the sha: a new commit on the tag's branch does not move the install.
  writeFileSync(join(repo, 'utils', 'marker.txt'), 'moved');
  git('commit', '-qam', 'three');
  git('tag', '-f', 'v1');
  mkdirSync(join(dir, 'dbt_packages', 'stale'), { recursive: true });
  const again = await runCli(['deps'], { cwd: dir, env: offline });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(dir, 'dbt_packages/dbt_utils/marker.txt'), 'utf8'), 'tagged');
  assert.ok(!existsSync(join(dir, 'dbt_packages', 'stale')), 'deps replaces the install directory');

  const build = await runCli(['build'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout + build.stderr);

  // A revision that does not exist is a clear fetch error.
  project(dir, `packages:\n  - git: "file://${repo}"\n    revision: v9\n    subdirectory: utils\n`);
  const bad = await runCli(['deps'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /DEPS_FETCH.*packages\.yml:2: git package file:\/\/.*git checkout failed/);
});

test('deps and clean take the flags dbt gives every command (--profiles-dir, --vars), so a dbt script runs unchanged', {
  skip,
}, async (t) => {
  const dir = tempDir(t);
  project(dir, `packages:\n  - local: ${join(PACKAGES!, 'dbt_utils')}\n`);
  const deps = await runCli(['deps', '--project-dir', dir, '--profiles-dir', dir, '--vars', '{a: 1}']);
  assert.equal(deps.code, 0, deps.stderr);
  assert.ok(existsSync(join(dir, 'dbt_packages/dbt_utils/dbt_project.yml')));
  mkdirSync(join(dir, 'target'));
  const clean = await runCli(['clean', '--project-dir', dir, '--profiles-dir', dir]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.ok(!existsSync(join(dir, 'target')));
});
