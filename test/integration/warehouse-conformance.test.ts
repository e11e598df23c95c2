import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClickHouseError } from '../../src/warehouse/clickhouse-error.ts';
import { qualified } from '../../src/warehouse/sql.ts';
import {
  openTestWarehouse,
  serverSkipReason,
  type Transport,
  tempDir,
  testTarget,
} from '../helpers/fixtures.ts';

// One suite, both transports: the embedded engine and the real server must behave the same.
// The server half is listed even with no server here, and shows as skipped (required under CI).
const serverSkip = await serverSkipReason();
const transports: Transport[] = ['embedded', 'server'];

for (const transport of transports) {
  describe(`warehouse conformance: ${transport}`, { skip: transport === 'server' && serverSkip }, () => {
    test('connects, detects the version and capabilities, and creates its database', async (t) => {
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      assert.match(warehouse.capabilities.version, /^\d+\.\d+/);
      assert.equal(warehouse.transport, transport);
      const tables = await warehouse.listTables(warehouse.database);
      assert.deepEqual(tables, []);
      assert.ok(!warehouse.description.includes('d3m4'), 'the description must not carry the password');
      if (transport === 'embedded') assert.equal(warehouse.capabilities.exchangeTables, true);
    });

    test('DDL, byte inserts in chunks, queries and introspection', async (t) => {
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      await warehouse.command(
        `CREATE TABLE ${qualified(warehouse.database, 'odd `name')} (x UInt8) ENGINE = Memory`,
      );
      const table = qualified(warehouse.database, 'labels');
      await warehouse.command(
        `CREATE TABLE ${table} (id UInt64, label String) ENGINE = MergeTree ORDER BY id`,
      );
      async function* chunks() {
        yield Buffer.from('1,"a, with comma"\n2,b\n');
        yield Buffer.from('3,"quote "" inside"\n');
      }
      await warehouse.insertBytes({
        database: warehouse.database,
        table: 'labels',
        columns: ['id', 'label'],
        format: 'CSV',
        chunks: chunks(),
      });
      const { rows } = await warehouse.query<{ id: string; label: string }>(
        `SELECT toString(id) AS id, label FROM ${table} ORDER BY id`,
      );
      assert.deepEqual(rows, [
        { id: '1', label: 'a, with comma' },
        { id: '2', label: 'b' },
        { id: '3', label: 'quote " inside' },
      ]);
      assert.deepEqual(await warehouse.listColumns(warehouse.database, 'labels'), [
        { name: 'id', type: 'UInt64' },
        { name: 'label', type: 'String' },
      ]);
      assert.deepEqual(
        (await warehouse.listTables(warehouse.database)).map((x) => x.name),
        ['labels', 'odd `name'],
      );
      const csv = await warehouse.queryText(`SELECT id FROM ${table} ORDER BY id`, 'CSVWithNames');
      assert.equal(csv, '"id"\n1\n2\n3\n');
    });

    test('64-bit integers come back as the same JSON values from query, querySync and queryText', async (t) => {
      // run_query's agate table, `dema show --output json` and every query() read these: a macro
      // comparing `values()[0] > 3` must not get '5' (a string) on one transport and 5 on the other.
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      const sql = 'SELECT toUInt64(5) AS u, toInt64(-3) AS i, toUInt32(7) AS s, 1.5 AS f';
      const expected = { u: 5, i: -3, s: 7, f: 1.5 };
      assert.deepEqual((await warehouse.query(sql)).rows, [expected]);
      assert.deepEqual(warehouse.querySync(sql), [expected]);
      assert.deepEqual(JSON.parse(await warehouse.queryText(sql, 'JSONEachRow')), expected);
    });

    test('errors are typed with the ClickHouse code and name', async (t) => {
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      await assert.rejects(warehouse.query('SELECT * FROM no_such_table_here'), (error: unknown) => {
        assert.ok(error instanceof ClickHouseError);
        assert.equal(error.clickhouseCode, 60);
        assert.equal(error.clickhouseType, 'UNKNOWN_TABLE');
        return true;
      });
      await assert.rejects(
        warehouse.command('SELEC 1'),
        (error: unknown) => error instanceof ClickHouseError && error.clickhouseType === 'SYNTAX_ERROR',
      );
    });

    test('a failure in the middle of a large result is an error, never a partial success', async (t) => {
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      await assert.rejects(
        warehouse.query('SELECT number, throwIf(number = 900000) AS boom FROM system.numbers LIMIT 1000000', {
          max_block_size: 1000,
        }),
        (error: unknown) => error instanceof ClickHouseError && error.clickhouseCode === 395,
      );
    });

    test('a bad insert payload fails the insert with a parse error', async (t) => {
      const warehouse = await openTestWarehouse(t, testTarget(transport, tempDir(t)));
      await warehouse.command(
        `CREATE TABLE ${qualified(warehouse.database, 'n')} (id UInt64) ENGINE = MergeTree ORDER BY id`,
      );
      async function* chunks() {
        yield Buffer.from('1\nnot-a-number\n');
      }
      await assert.rejects(
        warehouse.insertBytes({
          database: warehouse.database,
          table: 'n',
          columns: ['id'],
          format: 'CSV',
          chunks: chunks(),
        }),
        (error: unknown) => error instanceof ClickHouseError,
      );
    });
  });
}

test('wrong credentials give a typed error without the password in it', async (t) => {
  const noServer = await serverSkipReason();
  if (noServer) return t.skip(noServer);
  const target = { ...testTarget('server', tempDir(t)), password: 'wrong-secret-value' };
  await assert.rejects(openTestWarehouse(t, target), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.ok(!error.message.includes('wrong-secret-value'), error.message);
    assert.match(error.message, /password|authentic/i);
    return true;
  });
});
