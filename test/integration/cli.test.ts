import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { runCli } from '../helpers/cli.ts';
import { chdbProject } from '../helpers/dbt-project.ts';
import { tempDir, testTarget, writeFiles, writeProjectConfig } from '../helpers/fixtures.ts';

/** The CLI as a user meets it: real processes, real chDB, exit codes and what is printed where. */

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Six good models, one broken model and one that depends on it. */
function failingProject(dir: string): void {
  writeFiles(dir, {
    ...chdbProject('cli', join(dir, 'warehouse'), 'models:\n  cli:\n    +materialized: table\n'),
    ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`models/good_${i}.sql`, `select ${i} as id\n`])),
    'models/broken.sql': 'select no_such_column from numbers(1)\n',
    'models/after_broken.sql': "select * from {{ ref('broken') }}\n",
  });
}

const NO_STACK = /\n\s+at |EPIPE|unexpected error/;

test('--version prints the package version; --help exits 0', async () => {
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), VERSION);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: dema/);
});

test('a failing build: --quiet still prints the error and the closing summary, which repeats each failure', async (t) => {
  const dir = tempDir(t);
  failingProject(dir);
  const quiet = await runCli(['--quiet', 'build'], { cwd: dir });
  assert.equal(quiet.code, 1, quiet.stderr);
  // The failing node, as it happened, with its message…
  assert.match(quiet.stdout, /ERROR sql table model cli\.broken \.+ \[ERROR in /);
  assert.match(quiet.stdout, /no_such_column/);
  // …and again in the closing summary, with where its compiled SQL is, as dbt does.
  assert.match(
    quiet.stdout,
    /Completed with 1 error and 1 skipped:\n\nError in model\.cli\.broken\n {2}.*no_such_column[\s\S]*compiled code at target\/compiled\/cli\/models\/broken\.sql\n\nDone\. PASS=6 WARN=0 ERROR=1 SKIP=1 TOTAL=8/,
  );
  assert.match(readFileSync(join(dir, 'target/compiled/cli/models/broken.sql'), 'utf8'), /no_such_column/);
  // Quiet: nothing about the nodes that went well.
  assert.doesNotMatch(quiet.stdout, /START|OK sql|good_1/);
  assert.equal(quiet.stderr, '');
});

test('`dema build | head -1`: the reader leaving ends the output quietly; the build completes and writes its artifacts', async (t) => {
  const dir = tempDir(t);
  failingProject(dir);
  let lines = '';
  const result = await runCli(['build'], {
    cwd: dir,
    onStdout: (chunk, child) => {
      lines += chunk;
      // As `head -1`: take the first line, then close the pipe while the build still has to write.
      if (lines.includes('\n')) child.stdout?.destroy();
    },
  });
  assert.match(lines, /^Found 8 table models/);
  assert.doesNotMatch(lines, /Done\. PASS/, 'the pipe closed before the build finished writing');
  assert.equal(result.signal, null);
  assert.equal(result.code, 1, 'the exit code is the work’s: one model failed');
  assert.doesNotMatch(result.stderr, NO_STACK);
  const runResults = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string }[];
  };
  assert.equal(runResults.results.length, 8);
  assert.equal(runResults.results.find((r) => r.unique_id === 'model.cli.good_6')?.status, 'success');
  assert.equal(runResults.results.find((r) => r.unique_id === 'model.cli.after_broken')?.status, 'skipped');
});

test('a selection that matches nothing warns with the nearest names, on stderr', async (t) => {
  const dir = tempDir(t);
  failingProject(dir);
  const list = await runCli(['ls', '-s', 'brokn+', 'good_1'], { cwd: dir });
  assert.equal(list.code, 0);
  assert.equal(list.stdout, 'cli.good_1\n');
  assert.match(
    list.stderr,
    /The selection criterion 'brokn\+' does not match any enabled nodes; did you mean: broken\?/,
  );
  const run = await runCli(['run', '-s', 'tag:nightly'], { cwd: dir });
  assert.equal(run.code, 0);
  assert.match(run.stderr, /The selection criterion 'tag:nightly' does not match any enabled nodes\./);
  // parse names the folder as the user can reach it from where they are.
  const parse = await runCli(['parse', '--project-dir', dir], { cwd: join(dir, 'models') });
  assert.equal(parse.code, 0, parse.stderr);
  assert.match(parse.stdout, / → \.\.\/target\/manifest\.json\n$/);
  rmSync(join(dir, 'target'), { recursive: true });
});

/** A dema.yml project with sample files; orders.csv gets `bad` malformed rows at its end. */
async function ingestProject(t: Parameters<typeof tempDir>[0], extra: Record<string, unknown>, bad = 0) {
  const dir = tempDir(t);
  await generate({ ...GENERATE_DEFAULTS, outDir: dir, orderLines: 300, styles: 20, badRate: 0, seed: 3 });
  for (let i = 0; i < bad; i++) appendFileSync(join(dir, 'orders.csv'), `bad-row-${i},only two fields\n`);
  const config = writeProjectConfig(dir, testTarget('embedded', dir), extra);
  return { dir, config };
}

test('the error budget through the CLI: 0 rejects any bad row; a source ratio alone is honoured', async (t) => {
  const zero = await ingestProject(t, { max_rejects: 0 }, 14);
  const failed = await runCli(['ingest', 'orders'], { cwd: zero.dir });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(
    failed.stderr,
    /INGEST_ERROR_BUDGET\] Source "orders": 14 of \d+ rows read were rejected.*over the error budget \(max_rejects 0\); nothing was loaded/,
  );
  assert.doesNotMatch(failed.stdout, /loaded orders/);

  // The repository's dema.yml sets max_rejects: 0 at the top; a source's own ratio replaces it.
  const ratio = await ingestProject(t, { max_rejects: 0 }, 14);
  const text = readFileSync(ratio.config.file, 'utf8').replace(
    /( {4}table: orders\n)/,
    '$1    max_reject_ratio: 0.05\n',
  );
  writeFiles(ratio.dir, { 'dema.yml': text });
  const loaded = await runCli(['ingest', 'orders'], { cwd: ratio.dir });
  assert.equal(loaded.code, 0, loaded.stdout + loaded.stderr);
  assert.match(loaded.stdout, /loaded orders \(default\): 314 read = 300 loaded \+ 14 rejected/);
});

test('usage and configuration errors exit 2 and name the source, the line and the key', async (t) => {
  const { dir } = await ingestProject(t, {});
  const unknown = await runCli(['ingest', 'ordres'], { cwd: dir });
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /INGEST_SOURCE_UNKNOWN\] Unknown source "ordres"[\s\S]*hint: .*inventory, orders/,
  );

  const lines = [
    'target: test',
    'targets:',
    '  test:',
    '    type: chdb',
    `    path: ${join(dir, 'warehouse')}`,
    '    schema: dema',
    'archive_dir: archive',
    'sources:',
    '  - name: inventory',
    `    location: ${join(dir, 'inventory.csv')}`,
    '    table: inventory',
    '    columns: [productId, name, quantity, category, subCategory]',
    '    key: [productId]',
    '  - name: orders',
    `    location: ${join(dir, 'orders.csv')}`,
    '    table: orders',
    '    columns:',
    '      - orderId',
    '      - productId',
    '      - dateTime',
    '    key: [orderId]',
    '    merchant: default',
    '    max_reject: 10',
  ];
  assert.equal(lines[22], '    max_reject: 10', 'the typo is on line 23');
  writeFiles(dir, { 'dema.yml': `${lines.join('\n')}\n` });
  const typo = await runCli(['ingest'], { cwd: dir });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /dema\.yml:23: sources\.1\.max_reject: Unrecognized key: "max_reject"/);

  // A required key missing: the line of the mapping it belongs in (the source starting on line 14).
  writeFiles(dir, {
    'dema.yml': `${lines
      .slice(0, 22)
      .filter((line) => line !== '    table: orders')
      .join('\n')}\n`,
  });
  const missing = await runCli(['ingest'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /dema\.yml:14: sources\.1\.table: required key "table" is missing/);
});

test('pipeline --location loads local files when the declared locations are unreachable', async (t) => {
  const { dir, config } = await ingestProject(t, {});
  const unreachable = readFileSync(config.file, 'utf8')
    .replace(join(dir, 'orders.csv'), 'http://127.0.0.1:9/orders.csv')
    .replace(join(dir, 'inventory.csv'), 'http://127.0.0.1:9/inventory.csv');
  writeFiles(dir, { 'dema.yml': unreachable });
  const result = await runCli(
    [
      'pipeline',
      '--ingest-only',
      '--location',
      `orders=${join(dir, 'orders.csv')}`,
      '-l',
      `inventory=${join(dir, 'inventory.csv')}`,
    ],
    { cwd: dir },
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  // The pipeline's compact line per source, then its closing report.
  assert.match(result.stdout, /loaded inventory \(default\): \d+ rows, 0 rejected/);
  assert.match(result.stdout, /loaded orders \(default\): 300 rows, 0 rejected/);
  assert.match(result.stdout, /orders: 300 rows loaded, 0 rejected/);
  const bad = await runCli(['pipeline', '--location', 'orders'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--location orders: expected SOURCE=URL_OR_PATH/);
});

test('query takes its SQL from the argument, -f FILE, a .sql path or stdin', async (t) => {
  const dir = tempDir(t);
  writeProjectConfig(dir, testTarget('embedded', dir));
  writeFiles(dir, { 'report.sql': '-- a saved report\nSELECT 40 + 2 AS answer;\n' });
  const csv = ['--format', 'csv'];
  const fromFile = await runCli(['query', '-f', 'report.sql', ...csv], { cwd: dir });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, '"answer"\n42\n');
  const fromPath = await runCli(['query', 'report.sql', ...csv], { cwd: dir });
  assert.equal(fromPath.stdout, '"answer"\n42\n');
  const fromStdin = await runCli(['query', '-', ...csv], { cwd: dir, input: 'SELECT 7 AS n\n' });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal(fromStdin.stdout, '"n"\n7\n');
  const none = await runCli(['query', '-f', 'nope.sql'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /USAGE\] Cannot read the SQL file nope\.sql/);
  const both = await runCli(['query', 'SELECT 1', '-f', 'report.sql'], { cwd: dir });
  assert.equal(both.code, 2);
  assert.ok(!existsSync(join(dir, 'nope.sql')));
});

test('a build with only a warning exits 0 and its summary repeats the warning, as dbt', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    ...chdbProject('cli', join(dir, 'warehouse')),
    'models/twice.sql': 'select 1 as id union all select 1\n',
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: twice\n    columns:\n      - name: id\n        data_tests:\n          - unique: {config: {severity: warn}}\n',
  });
  const build = await runCli(['build'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(
    build.stdout,
    /Completed with 1 warning:\n\nWarning in test\.cli\.unique_twice_id\.\w+\n {2}Got 1 result, configured to warn if != 0\n {2}compiled code at target\/compiled\/cli\/models\/schema\.yml\/unique_twice_id\.sql\n\nDone\. PASS=1 WARN=1 ERROR=0 SKIP=0 TOTAL=2/,
  );
  // The path shown is where the compiled SQL really is.
  assert.match(
    readFileSync(join(dir, 'target/compiled/cli/models/schema.yml/unique_twice_id.sql'), 'utf8'),
    /select/i,
  );
});
