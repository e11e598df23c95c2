import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chain, SMALL_INPUT_BYTES, startOf } from '../../src/warehouse/embedded/small-input.ts';
import { qualified } from '../../src/warehouse/sql.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';

/**
 * chDB byte inserts take two paths: a small input is written to a plain file, a large one streams
 * through a FIFO (small-input.ts). Both must load exactly the rows given, in chunks of any size, and
 * a failing input must fail the insert.
 */

async function* from(chunks: readonly Buffer[], failAfter = Number.POSITIVE_INFINITY) {
  let index = 0;
  for (const chunk of chunks) {
    if (index++ === failAfter) throw new Error('input broke');
    yield chunk;
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

test('startOf: whole up to the limit, head and rest past it, nothing lost or repeated', async () => {
  const pieces = ['ab', 'cd', 'e', '', 'fgh'].map((p) => Buffer.from(p));
  for (let limit = 0; limit <= 9; limit++) {
    const start = await startOf(from(pieces), limit);
    const text = 'whole' in start ? start.whole.toString() : await collect(chain(start.head, start.rest));
    assert.equal(text, 'abcdefgh', `limit ${limit}`);
    assert.equal('whole' in start, limit >= 8, `limit ${limit}: whole only when everything fits`);
  }
});

// Rows of about 40 bytes, in chunks of 1,000 rows; each label has a comma, quotes and a newline.
const chunksOf = (count: number) =>
  Array.from({ length: Math.ceil(count / 1000) }, (_, c) =>
    Buffer.from(
      Array.from(
        { length: Math.min(1000, count - c * 1000) },
        (_, i) => `${c * 1000 + i},"label ${c * 1000 + i}, ""q""\nx"\n`,
      ).join(''),
    ),
  );

test('small and large byte inserts load every row; a broken input is an error', async (t) => {
  const warehouse = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  const table = qualified(warehouse.database, 'rows');
  await warehouse.command(`CREATE TABLE ${table} (id UInt64, label String) ENGINE = MergeTree ORDER BY id`);
  const insert = (chunks: AsyncIterable<Buffer>) =>
    warehouse.insertBytes({ table: 'rows', columns: ['id', 'label'], format: 'CSV', chunks });
  const contents = async () =>
    (
      await warehouse.query<{ n: string; s: string; h: string }>(
        `SELECT toString(count()) AS n, toString(sum(id)) AS s, toString(sum(cityHash64(label))) AS h FROM ${table}`,
      )
    ).rows[0]!;
  for (const count of [3, 60_000]) {
    const chunks = chunksOf(count);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    assert.equal(bytes > SMALL_INPUT_BYTES, count > 3, 'one input on each path');
    await warehouse.command(`TRUNCATE TABLE ${table}`);
    await insert(from(chunks));
    const oracle = await warehouse.query<{ h: string }>(
      `SELECT toString(sum(cityHash64(concat('label ', toString(number), ', "q"\\nx')))) AS h FROM numbers(${count})`,
    );
    assert.deepEqual(await contents(), {
      n: String(count),
      s: String((count * (count - 1)) / 2),
      h: oracle.rows[0]!.h,
    });
    await warehouse.command(`TRUNCATE TABLE ${table}`);
    for (const failAfter of new Set([0, 1, chunks.length - 1].filter((n) => n < chunks.length)))
      await assert.rejects(insert(from(chunks, failAfter)), /input broke/);
  }
  // A small input fails before its INSERT starts. (A streamed one may have loaded its first rows:
  // its callers load into a helper table and drop it on failure.)
  await warehouse.command(`TRUNCATE TABLE ${table}`);
  await assert.rejects(insert(from([...chunksOf(3), Buffer.from('x')], 1)), /input broke/);
  assert.equal((await contents()).n, '0', 'a broken small input loads nothing');
});
