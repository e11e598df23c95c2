#!/usr/bin/env node
// Entry point. Runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` runs as
// `prepare`) when it is at least as new as every source file; otherwise the TypeScript sources
// through tsx, so an edit never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const compiledIsFresh =
  !process.env.DEMA_FROM_SOURCE &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >= newestSource(join(root, 'src'));

// The start-up bench sets DEMA_REQUIRE_DIST: a figure taken through tsx would not be the real one.
if (!compiledIsFresh && process.env.DEMA_REQUIRE_DIST) {
  process.stderr.write(
    'dema: dist/ is missing or older than src/ (or DEMA_FROM_SOURCE is set), and DEMA_REQUIRE_DIST asks for the compiled CLI.\n  hint: npm run build\n',
  );
  process.exit(2);
}

let main;
if (compiledIsFresh) ({ main } = await import('../dist/cli/main.js'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
