import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';

// The start-up bench sets DEMA_REQUIRE_DIST so its figure is never the tsx fallback's.
test('bin/dema.js with DEMA_REQUIRE_DIST refuses to fall back to the sources', async () => {
  const refused = await runCli(['--version'], { env: { DEMA_REQUIRE_DIST: '1', DEMA_FROM_SOURCE: '1' } });
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '');
  assert.match(
    refused.stderr,
    /dist\/ is missing or older than src\/.*DEMA_REQUIRE_DIST[\s\S]*hint: npm run build/,
  );
  const fallback = await runCli(['--version'], { env: { DEMA_FROM_SOURCE: '1' } });
  assert.equal(fallback.code, 0, 'without it, the sources still run');
  assert.match(fallback.stdout, /\d+\.\d+\.\d+/);
});
