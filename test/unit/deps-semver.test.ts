import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  formatRange,
  intersect,
  isEmpty,
  newestSatisfying,
  parseSpec,
  parseVersion,
  type Range,
  satisfies,
} from '../../src/dbt/deps/semver.ts';
import { readPackageSpecs, specsHash } from '../../src/dbt/deps/spec.ts';
import { tempDir } from '../helpers/fixtures.ts';

const range = (...specs: string[]): Range => specs.map((s) => parseSpec(s)!).reduce(intersect, {});

test('version ranges intersect as dbt reduces them; an empty intersection is a conflict', () => {
  const cases: [string[], string, boolean][] = [
    [['>=1.0.0', '<2.0.0'], '>=1.0.0, <2.0.0', false],
    [['>=1.0.0', '<2.0.0', '>=0.9.0', '<1.5.0'], '>=1.0.0, <1.5.0', false],
    [['1.2.3', '>=1.0.0'], '1.2.3', false],
    [['=1.2.3', '<1.2.3'], '>=1.2.3, <1.2.3', true],
    [['>1.0.0', '<=1.0.0'], '>1.0.0, <=1.0.0', true],
    [['>=1.0.0', '<=1.0.0'], '1.0.0', false],
    [['2.0.0', '>=0.9.0', '<2.0.0'], '>=2.0.0, <2.0.0', true],
    [['>=0.8.0', '>0.8.0'], '>0.8.0', false],
    [['<2.0.0', '<=2.0.0'], '<2.0.0', false],
    [[], 'any version', false],
  ];
  for (const [specs, text, empty] of cases) {
    const merged = range(...specs);
    assert.equal(isEmpty(merged), empty, specs.join(' '));
    if (!empty) assert.equal(formatRange(merged), text, specs.join(' '));
  }
});

test('the newest satisfying version; prereleases only when asked or pinned', () => {
  const listed = ['0.9.0', '1.3.0', '1.4.1', '1.5.0-b1', '1.10.0', '2.0.0', 'not-a-version'];
  assert.equal(newestSatisfying(listed, range('>=1.0.0', '<2.0.0'), false), '1.10.0');
  assert.equal(newestSatisfying(listed, range('>=1.0.0', '<1.6.0'), false), '1.4.1');
  assert.equal(newestSatisfying(listed, range('>=1.0.0', '<1.6.0'), true), '1.5.0-b1');
  assert.equal(newestSatisfying(listed, range('1.5.0-b1'), false), '1.5.0-b1');
  assert.equal(newestSatisfying(listed, range('>=3.0.0'), true), undefined);
  assert.ok(satisfies(parseVersion('1.5.0-b1')!, range('<1.5.0')));
  assert.ok(!satisfies(parseVersion('1.5.0')!, range('<1.5.0')));
  assert.equal(parseSpec('1.2'), undefined);
  assert.equal(parseSpec('>= 1.2.3')?.lower?.inclusive, true);
});

test("the lock file's sha1_hash matches dbt's (Python json.dumps(sort_keys=True), sorted lines)", () => {
  const entries = [
    { package: 'dbt-labs/dbt_utils', version: ['>=1.0.0', '<2.0.0'] },
    { git: 'https://github.com/x/y.git', revision: 'v1', subdirectory: 'sub' },
    { local: '../shared/pkg' },
    { package: 'org/ünïcode', version: 1.5, 'install-prerelease': true },
  ];
  const script =
    'import json,sys,hashlib\nentries=json.load(sys.stdin)\nlines=sorted(json.dumps(e, sort_keys=True) for e in entries)\nprint(hashlib.sha1("\\n".join(lines).encode()).hexdigest())';
  const expected = execFileSync('python3', ['-c', script], { input: JSON.stringify(entries) })
    .toString()
    .trim();
  const specs = entries.map((raw) => ({ raw }) as unknown as Parameters<typeof specsHash>[0][number]);
  assert.equal(specsHash(specs), expected);
});

test('entries come from packages.yml or dependencies.yml (not both), each with its file:line', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'dependencies.yml'),
    'projects:\n  - name: other\npackages:\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0", "<2.0.0"]\n  - git: "https://example.com/x.git"\n    revision: v1\n  - local: ../pkg\n',
  );
  const specs = readPackageSpecs(dir, 'the root project');
  assert.deepEqual(
    specs.map((s) => [s.kind, s.where]),
    [
      ['hub', 'dependencies.yml:4'],
      ['git', 'dependencies.yml:6'],
      ['local', 'dependencies.yml:8'],
    ],
  );
  assert.equal(specs[2]!.kind === 'local' && specs[2]!.path, join(dir, '..', 'pkg'));
  writeFileSync(join(dir, 'packages.yml'), 'packages:\n  - package: a/b\n    version: 1.0.0\n');
  assert.throws(() => readPackageSpecs(dir, 'x'), /both list packages/);
  writeFileSync(join(dir, 'dependencies.yml'), 'projects: []\n');
  assert.equal(readPackageSpecs(dir, 'x').length, 1);
  const bad: [string, RegExp][] = [
    [
      '  - package: dbt_utils\n    version: 1.0.0\n',
      /packages\.yml:2: package "dbt_utils" is not of the form org\/name/,
    ],
    ['  - package: a/b\n', /packages\.yml:2: package "a\/b" has no version/],
    ['  - package: a/b\n    version: "~1.0"\n', /"~1\.0" is not a version or a version range/],
    ['  - tarball: https://x/y.tgz\n', /tarball package https:\/\/x\/y\.tgz needs a name:/],
    ['  - private: org/repo\n', /"private:" packages are not supported/],
    ['  - nothing: here\n', /needs one of package:, git:, local: or tarball:/],
  ];
  for (const [entry, message] of bad) {
    writeFileSync(join(dir, 'packages.yml'), `packages:\n${entry}`);
    assert.throws(() => readPackageSpecs(dir, 'x'), message);
  }
});
