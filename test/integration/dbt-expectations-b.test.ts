import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Case, MODELS, SPECS, schemaYaml } from '../fixtures/expectations-columns-b.ts';
import { packagesProject } from '../fixtures/packages-project.ts';
import { runCli } from '../helpers/cli.ts';
import { ORACLES } from '../helpers/expectations-oracle.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { sharedPackagesDir } from '../helpers/package-hub.ts';

/**
 * Fifteen of dbt_expectations' generic tests (string matching, sets, nulls, types, casing,
 * standard deviations), from the real package installed by `dema deps`, run by one `dema build`
 * on chDB. Each case's failure count comes from test/helpers/expectations-oracle.ts (the rows and
 * the tests' documented semantics), never from dema; every test passes at least once and fails at
 * least once, and its options (row_condition, match_on, flags, is_raw, …) are used.
 */

const PACKAGES = sharedPackagesDir();
const skip = PACKAGES ? false : 'shared/dbt-packages not found';

const CASES: (Case & { failures: number })[] = Object.entries(SPECS).flatMap(([name, specs]) =>
  specs.map(([caseName, model, column, args]) => ({
    name: caseName,
    test: name,
    model,
    column,
    args,
    failures: ORACLES[name]!(model, column, args),
  })),
);

test('dbt_expectations column tests (b): each passes and fails as computed from its rows', {
  skip,
}, async (t) => {
  // Every test of this share has cases, an oracle, a pass and a failure.
  assert.deepEqual(Object.keys(SPECS).sort(), Object.keys(ORACLES).sort());
  for (const name of Object.keys(SPECS)) {
    const failures = CASES.filter((c) => c.test === name).map((c) => c.failures);
    assert.ok(failures.includes(0) && failures.some((n) => n > 0), `${name}: a pass and a fail`);
  }

  const dir = tempDir(t);
  const base = packagesProject(dir, PACKAGES!);
  writeFiles(dir, {
    'dbt_project.yml': base['dbt_project.yml']!,
    'profiles.yml': base['profiles.yml']!,
    'packages.yml': base['packages.yml']!,
    ...MODELS,
    'models/schema.yml': schemaYaml(CASES),
  });
  const deps = await runCli(['deps'], { cwd: dir });
  assert.equal(deps.code, 0, deps.stderr);
  const build = await runCli(['build'], { cwd: dir });
  const { results } = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string; failures: number | null; message: string | null }[];
  };
  const byName = new Map(results.map((r) => [r.unique_id.split('.')[2]!, r]));
  for (const model of Object.keys(MODELS).map((file) => file.slice('models/'.length, -'.sql'.length)))
    assert.equal(
      byName.get(model)?.status,
      'success',
      `${model}: ${byName.get(model)?.message}\n${build.stderr}`,
    );
  assert.equal(results.length, Object.keys(MODELS).length + CASES.length);
  assert.equal(build.code, 1, 'failing tests fail the build');

  const wrong: string[] = [];
  for (const c of CASES) {
    const result = byName.get(c.name);
    const expected = c.failures === 0 ? 'pass' : 'fail';
    if (result?.status !== expected || result.failures !== c.failures)
      wrong.push(
        `${c.name}: expected ${expected} (${c.failures}), got ${result?.status} (${result?.failures}): ${result?.message}`,
      );
  }
  assert.deepEqual(wrong, []);
});
