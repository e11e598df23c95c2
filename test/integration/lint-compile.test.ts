import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { featuresProject } from '../fixtures/features-project.ts';
import { LINT_PROJECT } from '../fixtures/lint-project.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

/**
 * `dema lint --fix` keeps meaning: on a copy of the real project/ and of the features fixture
 * project, made untidy (tab indentation, trailing blanks) and then fixed to UPPER-case keywords,
 * `dema compile` gives the same SQL as the original, modulo whitespace and keyword case.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sqlFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.sql') && statSync(f).isFile());
}

/** Compiles the project and returns its compiled SQL by path, then removes target/compiled. */
async function compile(cwd: string, projectDir: string, extra: string[]): Promise<Map<string, string>> {
  const result = await runCli(['compile', '--project-dir', projectDir, ...extra], { cwd });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const root = join(projectDir, 'target/compiled');
  const files = new Map(sqlFilesUnder(root).map((f) => [relative(root, f), readFileSync(f, 'utf8')]));
  rmSync(root, { recursive: true, force: true });
  assert.ok(files.size > 3, 'the project compiles to several files');
  return files;
}

const KEYWORD =
  /\b(select|from|where|and|or|not|as|on|join|left|right|inner|outer|full|cross|using|group|by|order|having|limit|union|all|distinct|case|when|then|else|end|with|in|is|null|between|like|ilike|exists|asc|desc|over|interval|final|prewhere|settings|except|intersect)\b/gi;
const normalize = (sql: string) => sql.replace(KEYWORD, (w) => w.toLowerCase()).replace(/\s+/g, '');

/** Tabs for leading 4-space indents and two trailing blanks on every line of every model file. */
function untidy(projectDir: string): void {
  for (const dir of ['models', 'macros', 'tests'])
    for (const file of sqlFilesUnder(join(projectDir, dir))) {
      const text = readFileSync(file, 'utf8');
      const messy = text
        .replace(/^((?: {4})+)/gm, (s) => '\t'.repeat(s.length / 4))
        .replace(/(\S)$/gm, '$1  ');
      writeFileSync(file, messy);
    }
}

async function checkFixKeepsMeaning(cwd: string, projectDir: string, extra: string[] = []): Promise<void> {
  const before = await compile(cwd, projectDir, extra);
  untidy(projectDir);
  const yml = join(projectDir, 'dbt_project.yml');
  const original = readFileSync(yml, 'utf8');
  assert.match(original, /^vars:\n/m);
  writeFileSync(yml, original.replace(/^vars:\n/m, 'vars:\n  dema_lint: {keyword_case: upper}\n'));
  const fixed = await runCli(['lint', '--fix', '--json', '--project-dir', projectDir], { cwd });
  const summary = fixed.events.find((e) => e.type === 'lint_summary');
  assert.ok(summary && (summary.fixed as number) >= 3, fixed.stdout + fixed.stderr);
  const left = fixed.events.filter((e) => e.type === 'lint' && e.fixable);
  assert.deepEqual(left, [], 'nothing fixable is left');
  const after = await compile(cwd, projectDir, extra);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  let changed = 0;
  for (const [path, sql] of before) {
    const now = after.get(path) as string;
    if (now !== sql) changed++;
    assert.equal(normalize(now), normalize(sql), path);
  }
  assert.ok(changed > 0, 'the fix did change the compiled text (keyword case)');
}

test('lint --fix on the real project/ compiles to the same SQL modulo whitespace and keyword case, and builds', async (t) => {
  const dir = tempDir(t, 'dema-lint-');
  cpSync(join(ROOT, 'project'), join(dir, 'project'), {
    recursive: true,
    filter: (src) => !/[\\/](target|dbt_packages|logs)$/.test(src),
  });
  cpSync(join(ROOT, 'dema.yml'), join(dir, 'dema.yml'));
  await checkFixKeepsMeaning(dir, join(dir, 'project'));
  const built = await runCli(['pipeline', '--sample'], { cwd: dir });
  assert.equal(built.code, 0, `the fixed project still builds:\n${built.stdout}${built.stderr}`);
  // The pipeline's closing report: the build step ran and no node errored.
  assert.match(built.stdout, /build\s+ok in/);
  assert.doesNotMatch(built.stdout, /build failed/);
});

test('lint --fix on the features fixture project compiles to the same SQL', async (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, featuresProject(join(dir, 'warehouse')));
  // macros_demo queries its upstream's rows at compile time (dbt_utils.get_column_values).
  await checkFixKeepsMeaning(dir, dir, ['--exclude', 'macros_demo']);
});

test('the repository project/ is lint-clean (as CI checks)', async () => {
  const result = await runCli(['lint', '--project-dir', join(ROOT, 'project')]);
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /: 0 errors, 0 warnings/);
});

test('the CLI: file:line:col RULE lines, exit 1 on errors, 0 on warnings only, 2 on a bad setting', async (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, LINT_PROJECT);
  const failing = await runCli(['lint', '--project-dir', dir]);
  assert.equal(failing.code, 1);
  assert.ok(
    failing.stdout.includes('models/marts/mart_orders.sql:3:6 RF01 hard-coded relation analytics.customers'),
  );
  // Paths as seen from where the command runs, so file:line:col opens in an editor.
  const nested = join(dir, 'nested');
  writeFiles(nested, LINT_PROJECT);
  const fromParent = await runCli(['lint', '--project-dir', 'nested'], { cwd: dir });
  assert.ok(
    fromParent.stdout.includes('nested/models/marts/mart_orders.sql:3:6 RF01 hard-coded relation'),
    fromParent.stdout,
  );
  const warnings = await runCli(['lint', 'models/staging'], { cwd: dir });
  assert.equal(warnings.code, 0, warnings.stdout + warnings.stderr);
  assert.match(warnings.stdout, /1 files: 0 errors, 7 warnings/);
  writeFiles(dir, { 'dbt_project.yml': 'name: x\nvars:\n  dema_lint: {keyword_case: camel}\n' });
  const bad = await runCli(['lint', '--project-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /CONFIG_INVALID.*dbt_project\.yml: vars\.dema_lint\.keyword_case must be lower, upper or consistent/,
  );
});
