// Mutation testing of one module (see modules.mjs); run through `npm run mutation -- <module>`
// (stryker/run.mjs), which sets DEMA_MUTATION_MODULE. Not part of `npm test` or CI: too slow.
import { MODULES } from './modules.mjs';

const name = process.env.DEMA_MUTATION_MODULE ?? '';
const module = MODULES[name];
if (!module) throw new Error(`DEMA_MUTATION_MODULE must be one of: ${Object.keys(MODULES).join(', ')}`);

// DEMA_MUTATION_TESTS=a.test.ts,b.test.ts runs other test files (e.g. to score the tests before new ones).
const tests = process.env.DEMA_MUTATION_TESTS?.split(',') ?? module.tests;

export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  mutate: module.mutate,
  tap: {
    testFiles: tests,
    // Each test file runs as `node --import tsx … <file>`; the runner prepends its coverage hook.
    nodeArgs: [
      '--import',
      'tsx',
      '--test-reporter=tap',
      ...(module.testNamePattern ? [`--test-name-pattern=${module.testNamePattern}`] : []),
      '{{testFile}}',
    ],
  },
  // Per test file: a mutant runs only the files that reached it.
  coverageAnalysis: 'perTest',
  // 2 cores shared with others.
  concurrency: Number(process.env.DEMA_MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  // The sandbox is a copy of the project with node_modules symlinked; dist/ is left out so
  // bin/dema.js runs the (mutated) TypeScript sources rather than a stale compiled copy.
  ignorePatterns: ['dist', 'bench/out', '.clickhouse-server', '.dema', 'reports', 'test-artifacts'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 75, break: null },
};
