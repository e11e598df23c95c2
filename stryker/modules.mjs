/**
 * What `npm run mutation -- <module>` mutates, and the smallest set of test files that covers it.
 * Each entry: the source files Stryker mutates, the test files its TAP runner runs (each file is one
 * "test" to Stryker, run in its own node process), and optionally a --test-name-pattern that keeps
 * an integration file to the tests that reach the module.
 */
export const MODULES = {
  publish: {
    about: 'ingest publish commit point + roll-forward recovery (src/ingest/README.md)',
    mutate: ['src/ingest/publish.ts', 'src/ingest/recovery-plan.ts'],
    tests: ['test/unit/recovery-plan.test.ts', 'test/integration/publish-protocol.test.ts'],
  },
  'server-lock': {
    about: 'server warehouse lock: owner view, heartbeats, expiry, breaking',
    mutate: ['src/warehouse/server/server-lock.ts'],
    tests: ['test/integration/server-lock.test.ts'],
  },
  'store-lock': {
    about: 'embedded warehouse lock: pid + start time + boot id',
    mutate: ['src/warehouse/embedded/store-lock.ts'],
    tests: ['test/unit/store-lock.test.ts', 'test/unit/web-guards.test.ts'],
  },
  'error-budget': {
    about: 'error budget of a load',
    mutate: ['src/ingest/error-budget.ts'],
    tests: ['test/unit/error-budget.test.ts'],
  },
  'dbt-publish': {
    about: 'dbt helper-then-swap build publish',
    mutate: ['src/dbt/materialize/publish.ts'],
    tests: ['test/unit/materialization-sql.test.ts', 'test/integration/dbt-helpers.test.ts'],
  },
  'ingest-guards': {
    about:
      'clean-file path (UTF-8/plain/length/count guard), settled() check, sha256 skip of successful loads only',
    mutate: [
      'src/ingest/clean-file.ts',
      'src/ingest/open-source.ts:53-66',
      'src/ingest/load-source.ts:84-101',
      'src/ingest/load-source.ts:255-256',
    ],
    tests: ['test/integration/clean-file.test.ts', 'test/integration/ingest-guards.test.ts'],
  },
  'clickhouse-error': {
    about: 'ClickHouse exception text → code and name',
    mutate: ['src/warehouse/clickhouse-error.ts'],
    tests: ['test/unit/clickhouse-error.test.ts', 'test/integration/clickhouse-error-names.test.ts'],
  },
  'inspect-bytes': {
    about: "the archive pass's sha256 / line feeds / UTF-8 facts that decide the clean-file path",
    mutate: ['src/ingest/inspect-bytes.ts'],
    tests: ['test/unit/inspect-bytes.test.ts'],
  },
};
