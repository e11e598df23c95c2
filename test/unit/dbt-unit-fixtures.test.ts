import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actualSql,
  type Cell,
  diffRows,
  expectedFromSql,
  expectedSql,
  fixtureRows,
  fixtureSql,
  renderDiff,
} from '../../src/dbt/materialize/unit-fixtures.ts';
import { openTestWarehouse, serverAvailable, tempDir, testTarget } from '../helpers/fixtures.ts';

// The unit-test fixture builder and comparison (dbt-semantics.md §2.7). The comparison is checked
// against an independent oracle (sorted lists of rows, as dbt's diff sees them); the fixture SQL is
// run by ClickHouse itself, embedded and on the server.

const sorted = (rows: readonly (readonly Cell[])[]) => rows.map((row) => JSON.stringify(row)).sort();

test('diffRows: equal exactly when the sorted row lists are equal (multiplicity counts)', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const values: Cell[] = ['1', '2', null, ''];
  for (let round = 0; round < 2000; round++) {
    const rows = (count: number) =>
      Array.from({ length: count }, () => [values[random(4)]!, values[random(2)]!]);
    const actual = rows(random(4));
    const expected = random(3) === 0 ? [...actual].reverse() : rows(random(4));
    const diff = diffRows(actual, expected);
    const same = JSON.stringify(sorted(actual)) === JSON.stringify(sorted(expected));
    assert.equal(diff.onlyActual.length === 0 && diff.onlyExpected.length === 0, same);
    // What is left over on each side is the multiset difference.
    const rest = [...sorted(actual)];
    for (const row of sorted(expected)) {
      const at = rest.indexOf(row);
      if (at >= 0) rest.splice(at, 1);
    }
    assert.deepEqual(sorted(diff.onlyActual), rest);
  }
  assert.equal(diffRows([['1'], ['1']], [['1']]).onlyActual.length, 1);
  assert.equal(
    renderDiff(['id', 'x'], diffRows([['1', null]], [['1', '2']])),
    'actual differs from expected:\n\n@@ ,id,x\n+++,1,NULL\n---,1,2',
  );
});

test('fixtureRows reads dict, inline csv (cells as strings) and sql', () => {
  assert.deepEqual(fixtureRows({ rows: [{ a: 1 }] }), [{ a: 1 }]);
  assert.deepEqual(fixtureRows({ format: 'csv', rows: 'a,b\n1,\n"x,y",3\n' }), [
    { a: '1', b: '' },
    { a: 'x,y', b: '3' },
  ]);
  assert.deepEqual(fixtureRows({ format: 'sql', rows: 'select 1 as a' }), { sql: 'select 1 as a' });
  assert.deepEqual(fixtureRows({}), []);
});

for (const transport of ['embedded', 'server'] as const) {
  test(`fixture SQL on ${transport}: every input column, typed; missing ones NULL or the type default`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
    const columns = [
      { name: 'id', type: 'Int32' },
      { name: 'name', type: 'Nullable(String)' },
      { name: 'day', type: 'Date' },
      { name: 'price', type: 'Decimal(10, 2)' },
      { name: 'tags', type: 'Array(String)' },
    ];
    const sql = fixtureSql(
      [{ id: 1, name: "o'neil", day: new Date('2024-03-05T00:00:00Z'), price: 1.5 }, { id: '2' }],
      columns,
    );
    // ClickHouse's own rendering of a Decimal differs by version ('1.50' on 18.x, '1.5' now).
    const decimal = async (value: string) =>
      String((await warehouse.query(`select toString(CAST(${value} AS Decimal(10, 2))) as s`)).rows[0]!.s);
    const [oneFifty, zero] = [await decimal('1.5'), await decimal('0')];
    const { rows } = await warehouse.query(
      `select id, name, toString(day) as day, toString(f.price) as p, length(tags) as tags, toTypeName(f.price) as t from (${sql}) as f order by id`,
    );
    assert.deepEqual(
      rows.map((row) => ({ ...row, id: Number(row.id), tags: Number(row.tags) })),
      [
        { id: 1, name: "o'neil", day: '2024-03-05', p: oneFifty, tags: 0, t: 'Decimal(10, 2)' },
        { id: 2, name: null, day: rows[1]!.day, p: zero, tags: 0, t: 'Decimal(10, 2)' },
      ],
    );
    const empty = await warehouse.query(`select count() as n from (${fixtureSql([], columns)})`);
    assert.equal(Number(empty.rows[0]!.n), 0);
    // Expected values take the model's column types, so 1.5 equals a Decimal's 1.50.
    const types = new Map([['price', 'Decimal(10, 2)']]);
    const expected = await warehouse.query(expectedSql([{ price: 1.5 }, { price: null }], ['price'], types));
    const actual = await warehouse.query(actualSql(`select toDecimal64(1.5, 2) as price`, ['price']));
    // UNION ALL has no order (the server runs its branches in parallel); dbt's diff ignores it too.
    assert.deepEqual(expected.rows.map((row) => row.c0).sort(), [oneFifty, null].sort());
    assert.deepEqual(
      actual.rows.map((row) => row.c0),
      [oneFifty],
    );
  });
}

for (const transport of ['embedded', 'server'] as const) {
  test(`expect format sql on ${transport}: the query's rows and columns, cast to the model's types`, async (t) => {
    if (transport === 'server' && !(await serverAvailable())) return t.skip('no ClickHouse server');
    const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
    const model = new Map([
      ['price', 'Decimal(10, 2)'],
      ['id', 'Int32'],
      ['ratio', 'Float64'],
    ]);
    // Its own columns in its order; a Nullable NULL stays NULL where the model's type is not Nullable.
    const sqlTypes = new Map([
      ['id', 'Nullable(Int32)'],
      ['price', 'String'],
      ['ratio', 'String'],
    ]);
    const query = expectedFromSql(
      "select cast(NULL as Nullable(Int32)) as id, '1.5' as price, '1.50' as ratio union all select cast(3 as Nullable(Int32)), '2', '2.50';\n",
      sqlTypes,
      model,
    );
    const expected = (await warehouse.query(query)).rows.map((row) => [row.c0, row.c1, row.c2] as Cell[]);
    const actual = (
      await warehouse.query(
        actualSql(
          'select toInt32(3) as id, toDecimal64(2, 2) as price, toFloat64(2.5) as ratio union all select toInt32(0), toDecimal64(1.5, 2), toFloat64(1.5)',
          ['id', 'price', 'ratio'],
        ),
      )
    ).rows.map((row) => [row.c0, row.c1, row.c2] as Cell[]);
    const diff = diffRows(actual, expected);
    // Only the NULL id differs: '1.50' and '2' compare as the model's Float64 and Decimal render them.
    assert.deepEqual(
      diff.onlyExpected.map((row) => row[0]),
      [null],
    );
    assert.deepEqual(
      diff.onlyActual.map((row) => row[0]),
      ['0'],
    );
    assert.deepEqual(diff.onlyExpected[0]!.slice(1), diff.onlyActual[0]!.slice(1));
    assert.equal(diff.onlyExpected.length + diff.onlyActual.length, 2);
  });
}
