import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClickHouseError } from '../../src/warehouse/clickhouse-error.ts';
import { openTestWarehouse, tempDir, testTarget } from '../helpers/fixtures.ts';

/**
 * 18.16 prints a bare code; dema names the common ones from its own table. The oracle for those
 * names is ClickHouse itself: chDB's errorCodeToName() for every code up to 1100.
 */
test("every code dema names in 18.16 text gets ClickHouse's own name for it", async (t) => {
  const w = await openTestWarehouse(t, testTarget('embedded', tempDir(t)));
  const { rows } = await w.query<{ code: string; name: string }>(
    'SELECT toString(number) AS code, toString(errorCodeToName(toUInt32(number))) AS name FROM numbers(1100)',
  );
  let named = 0;
  for (const { code, name } of rows) {
    const parsed = parseClickHouseError(
      `Code: ${code}, e.displayText() = DB::Exception: Something failed, e.what() = DB::Exception`,
    );
    assert.equal(parsed?.clickhouseCode, Number(code));
    if (parsed?.clickhouseType === 'UNKNOWN') continue;
    assert.equal(parsed?.clickhouseType, name, `code ${code}`);
    named++;
  }
  assert.ok(named >= 25, `${named} codes named`);
});
