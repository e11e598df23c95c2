// npm run mutation -- <module> [more stryker options]: mutation-tests one module (modules.mjs).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULES } from './modules.mjs';

const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in MODULES)) {
  const list = Object.entries(MODULES).map(([key, m]) => `  ${key.padEnd(18)}${m.about}`);
  console.error(`usage: npm run mutation -- <module> [stryker options]\n\n${list.join('\n')}`);
  process.exit(2);
}
const core = createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json');
const stryker = join(dirname(core), 'bin', 'stryker.js');
const config = fileURLToPath(new URL('stryker.conf.mjs', import.meta.url));
const result = spawnSync(process.execPath, [stryker, 'run', config, ...rest], {
  stdio: 'inherit',
  env: { ...process.env, DEMA_MUTATION_MODULE: name },
});
process.exit(result.status ?? 1);
