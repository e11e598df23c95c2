import assert from 'node:assert/strict';
import { DemaError } from '../../src/errors.ts';

/** The DemaError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function refusal(promise: Promise<unknown>): Promise<DemaError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DemaError, String(error));
    return error;
  }
  assert.fail('it did not fail with a DemaError');
}
