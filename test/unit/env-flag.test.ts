import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envFlag } from '../../src/dbt/env-flag.ts';

test("boolean DBT_* variables read as click's BOOL: case and blanks ignored, anything else false", () => {
  for (const value of ['1', 'true', 'TRUE', 't', 'yes', 'Y', 'on', ' On '])
    assert.equal(envFlag(value), true, value);
  for (const value of [undefined, '', '0', 'false', 'f', 'no', 'n', 'off', 'enabled', '2'])
    assert.equal(envFlag(value), false, String(value));
});
