import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';
import { queryStore } from '../helpers/store.ts';

// dbt's seed config `delimiter` (dbt ≥ 1.7): the file is read with that separator. Python's csv,
// with the same delimiter, is the oracle for the rows that must land.
const SEED = 'id;name;amount;note\n1;"a;b";1.50;\n2;plain;2.25;"say ""hi"""\n3;;-4;x,y\n';

function pythonRows(text: string, delimiter: string): string[][] {
  const script =
    'import csv,io,json,sys\nprint(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read()), delimiter=sys.argv[1]))))';
  return JSON.parse(execFileSync('python3', ['-c', script, delimiter], { input: text }).toString());
}

test('a seed with delimiter: ";" loads its columns and cells as Python csv reads them', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'warehouse');
  writeFiles(dir, {
    'dbt_project.yml': [
      'name: sd',
      'profile: sd',
      'seeds:',
      '  sd:',
      '    semi:',
      '      +delimiter: ";"',
      '      +column_types: {amount: "Decimal(10, 2)"}',
      '',
    ].join('\n'),
    'profiles.yml': `sd:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: sd}\n`,
    'seeds/semi.csv': SEED,
  });
  const seed = await runCli(['seed'], { cwd: dir });
  assert.equal(seed.code, 0, seed.stdout + seed.stderr);
  const [header, ...expected] = pythonRows(SEED, ';');
  const columns = await queryStore<{ name: string; type: string }>(store, 'sd', 'describe table sd.semi');
  assert.deepEqual(
    columns.map((c) => c.name),
    header,
  );
  assert.equal(columns.find((c) => c.name === 'amount')?.type, 'Decimal(10, 2)');
  const rows = await queryStore<Record<string, unknown>>(
    store,
    'sd',
    "select toString(id) as id, ifNull(name, '') as name, toString(amount) as amount, ifNull(note, '') as note from sd.semi order by id",
  );
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.amount, r.note]),
    expected.map(([id, name, amount, note]) => [id, name, String(Number(amount)), note]),
  );
});
