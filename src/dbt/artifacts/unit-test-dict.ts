import type { UnitTestRef } from '../manifest/types.ts';
import { fixtureRows } from '../materialize/unit-fixtures.ts';

/**
 * A unit test as manifest.json's `unit_tests` section holds it (dbt's UnitTestDefinition): keyed by
 * `unit_test.<package>.<model>.<name>`, its given/expect normalized as dbt's parser leaves them
 * (csv rows as dicts with '' read as null, sql rows as the SQL text, format always written).
 * A `fixture:` keeps its name and has the rows of its file, as dbt reads them at parse.
 */

/** The spec with its `fixture:` file read into `rows` (unit-test.ts withFixtureFile). */
export type FixtureReader = (spec: Record<string, unknown>) => Record<string, unknown>;

const dict = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function fixtureDict(
  written: Record<string, unknown>,
  read: FixtureReader,
  input?: unknown,
): Record<string, unknown> {
  const format = String(written.format ?? 'dict');
  let rows: unknown = null;
  let spec = written;
  try {
    spec = read(written);
  } catch {
    // A missing fixture file fails the unit test when it runs; the manifest still lists the test.
  }
  if (spec.fixture === undefined || spec.rows !== undefined) {
    const parsed = fixtureRows(spec);
    rows = Array.isArray(parsed)
      ? format === 'csv'
        ? parsed.map((row) =>
            Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === '' ? null : value])),
          )
        : parsed
      : parsed.sql;
  }
  return {
    ...(input !== undefined ? { input: String(input) } : {}),
    rows,
    format,
    fixture: written.fixture === undefined ? null : String(written.fixture),
  };
}

export function unitTestDict(
  unitTest: UnitTestRef,
  projectName: string,
  read: FixtureReader,
  modelSchema?: string,
) {
  const spec = dict(unitTest.spec);
  const packageName = unitTest.packageName ?? projectName;
  // A package's file as dbt records it: relative to the package (dbt_packages/<pkg>/models/… → models/…).
  const shown = unitTest.where.replace(/:\d+$/, '');
  const inPackage = shown.indexOf(`/${packageName}/`);
  const originalFilePath =
    packageName !== projectName && inPackage >= 0 ? shown.slice(inPackage + packageName.length + 2) : shown;
  // dbt's path is relative to the resource folder (models/a/s.yml → a/s.yml); fqn adds its folders.
  const path = originalFilePath.split('/').slice(1).join('/');
  const config = dict(spec.config);
  const overrides = spec.overrides === undefined ? null : dict(spec.overrides);
  return {
    name: unitTest.name,
    resource_type: 'unit_test',
    package_name: packageName,
    path,
    original_file_path: originalFilePath,
    unique_id: unitTest.uniqueId,
    fqn: [packageName, ...path.split('/').slice(0, -1), unitTest.model, unitTest.name],
    model: unitTest.model,
    given: (Array.isArray(spec.given) ? spec.given : []).map((given) =>
      fixtureDict(dict(given), read, dict(given).input),
    ),
    expect: fixtureDict(dict(spec.expect), read),
    description: typeof spec.description === 'string' ? spec.description : '',
    overrides: overrides && {
      macros: dict(overrides.macros),
      vars: dict(overrides.vars),
      env_vars: dict(overrides.env_vars),
    },
    depends_on: { macros: [], nodes: [`model.${packageName}.${unitTest.model}`] },
    config: {
      tags: Array.isArray(config.tags) ? config.tags : config.tags === undefined ? [] : [config.tags],
      meta: dict(config.meta),
      enabled: config.enabled !== false,
    },
    schema: modelSchema ?? null,
    versions: null,
    version: null,
  };
}
