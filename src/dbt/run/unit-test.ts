import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemaError, errorMessage, isDemaError } from '../../errors.ts';
import { compileNode } from '../compile/compile-node.ts';
import type { ProjectContext, UnitTestOverrides } from '../compile/context.ts';
import { injectCtes } from '../compile/inject-ctes.ts';
import type { DbtNode, Manifest, UnitTestRef } from '../manifest/types.ts';
import type { MaterializeEnv } from '../materialize/materialize.ts';
import {
  actualSql,
  type Cell,
  diffRows,
  expectedColumns,
  expectedFromSql,
  expectedSql,
  type FixtureRow,
  fixtureRows,
  fixtureSql,
  renderDiff,
  withColumnCase,
  withoutSemicolon,
} from '../materialize/unit-fixtures.ts';
import type { NodeResult } from './results.ts';

/**
 * dbt's unit tests (dbt-semantics.md §2.7): the model's SQL compiled with each `given` standing for
 * the ref/source it names (a CTE of the given rows, typed like the existing input relation), then
 * its rows compared with `expect` on the expected columns, order-insensitive, with multiplicity.
 * Overrides (vars, env_vars, macros) change what the model's Jinja sees (compile/context.ts,
 * compile/unit-overrides.ts). What dema does not run (versions, inputs other than ref/source/this)
 * is refused before the run with file:line, never passed in silence.
 */

const REF = /^\s*ref\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?\)\s*$/;
const SOURCE = /^\s*source\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3\s*\)\s*$/;

const specOf = (unitTest: UnitTestRef) => (unitTest.spec ?? {}) as Record<string, unknown>;
const list = (value: unknown) => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);
const dict = (value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function unsupported(unitTest: UnitTestRef, what: string): DemaError {
  return new DemaError(
    'DBT_UNSUPPORTED',
    `${unitTest.where}: unit test "${unitTest.name}": ${what} is not supported by dema yet.`,
    {
      hint: 'dema runs unit tests of unversioned models with ref()/source()/this givens and expectations (dict, csv or sql rows, inline or fixture files) and macros/vars/env_vars overrides; run this one with dbt, or leave unit tests out with --exclude-resource-type unit_test.',
    },
  );
}

/** Whether dbt would run it at all (`config: {enabled: false}` leaves it out). */
export function unitTestEnabled(unitTest: UnitTestRef): boolean {
  return dict(specOf(unitTest).config).enabled !== false;
}

/** Throws DBT_UNSUPPORTED for the parts of a unit test dema does not run. */
export function checkUnitTestSupported(unitTest: UnitTestRef): void {
  const spec = specOf(unitTest);
  if (spec.versions !== undefined) throw unsupported(unitTest, 'versions:');
  for (const given of list(spec.given)) {
    const input = String(given.input ?? '');
    if (!REF.test(input) && !SOURCE.test(input) && input.trim() !== 'this')
      throw unsupported(unitTest, `given input "${input}"`);
  }
  const overrides = dict(spec.overrides);
  for (const key of ['macros', 'vars', 'env_vars']) {
    const value = overrides[key];
    if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value)))
      throw new DemaError(
        'PARSE_YAML',
        `${unitTest.where}: unit test "${unitTest.name}": overrides: ${key} must be a mapping of names to values.`,
        { hint: `Write it as ${key}: {name: value}.` },
      );
  }
}

/** A `fixture: name` read from `<test-path>/fixtures/…/name.csv|sql`, as its inline `rows`. */
export function withFixtureFile(
  context: ProjectContext,
  unitTest: UnitTestRef,
  spec: Record<string, unknown>,
): Record<string, unknown> {
  if (spec.fixture === undefined) return spec;
  const format = String(spec.format ?? 'dict');
  const file = `${String(spec.fixture)}.${format}`;
  const roots = context.project.testPaths.map((path) => join(context.project.dir, path, 'fixtures'));
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const found = (readdirSync(root, { recursive: true }) as string[]).find(
      (entry) => entry === file || entry.endsWith(`/${file}`),
    );
    if (found) return { ...spec, rows: readFileSync(join(root, found), 'utf8') };
  }
  throw new DemaError(
    'UNIT_TEST_INVALID',
    `${unitTest.where}: unit test "${unitTest.name}": fixture ${String(spec.fixture)} (${file}) not found.`,
    {
      hint: `Put it under ${context.project.testPaths.map((path) => `${path}/fixtures/`).join(' or ')} with format: csv or sql.`,
    },
  );
}

/** Each given: the node it stands for and the CTE that replaces it. */
async function fixtures(
  context: ProjectContext,
  env: MaterializeEnv,
  unitTest: UnitTestRef,
  model: DbtNode,
): Promise<Map<string, { name: string; sql: string }>> {
  const found = new Map<string, { name: string; sql: string }>();
  for (const given of list(specOf(unitTest).given)) {
    const input = String(given.input);
    const ref = REF.exec(input);
    const source = SOURCE.exec(input);
    const target =
      input.trim() === 'this'
        ? model
        : ref
          ? context.lookup.ref(ref[4] ? { package: ref[2]!, name: ref[4] } : { name: ref[2]! }, model)
          : context.lookup.source(source![2]!, source![4]!, model);
    if (!target)
      throw new DemaError(
        'UNIT_TEST_INVALID',
        `${unitTest.where}: unit test "${unitTest.name}": ${input} is no node.`,
      );
    const name = `__dbt__cte__${(ref || !source ? target.name : `${source[2]}_${source[4]}`).replace(/\W/g, '_')}${target === model ? '__this' : ''}`;
    const written = fixtureRows(withFixtureFile(context, unitTest, given));
    if (!Array.isArray(written)) {
      found.set(target.uniqueId, { name, sql: written.sql });
      continue;
    }
    await env.cache.refresh(target.schema, target.alias);
    const columns = env.cache.columns(target.schema, target.alias);
    if (columns.length === 0)
      throw new DemaError(
        'UNIT_TEST_INVALID',
        `${unitTest.where}: unit test "${unitTest.name}": ${input} does not exist in the warehouse, and its column types are read from it.`,
        {
          hint: 'Build it first (dema build runs a unit test after its model’s parents), or give it with format: sql.',
        },
      );
    const known = new Set(columns.map((column) => column.name));
    const rows = withColumnCase(written, [...known]);
    const unknown = rows.flatMap((row) => Object.keys(row)).find((column) => !known.has(column));
    if (unknown !== undefined)
      throw new DemaError(
        'UNIT_TEST_INVALID',
        `${unitTest.where}: unit test "${unitTest.name}": ${input} has no column "${unknown}".`,
      );
    found.set(target.uniqueId, { name, sql: fixtureSql(rows, columns) });
  }
  return found;
}

/** The model's SQL as the unit test sees it: givens for its inputs, its overrides applied. */
export async function unitTestSql(
  context: ProjectContext,
  env: MaterializeEnv,
  unitTest: UnitTestRef,
  model: DbtNode,
): Promise<string> {
  const given = await fixtures(context, env, unitTest, model);
  const overrides = dict(specOf(unitTest).overrides);
  const macros = dict(overrides.macros);
  // Servers before 20.1 have no `WITH name AS (subquery)`: there each given is an inline subquery.
  const inline = !env.warehouse.capabilities.cteSubqueries;
  const unitOverrides: UnitTestOverrides = {
    fixtureFor: (uniqueId, call) => {
      const fixture = given.get(uniqueId);
      if (!fixture)
        throw new DemaError(
          'UNIT_TEST_INVALID',
          `${unitTest.where}: unit test "${unitTest.name}": model ${model.name} reads ${call}, which the test does not give.`,
          { hint: `Add a given with input: ${call} (rows: [] for an empty input).` },
        );
      return inline ? `(\n${fixture.sql}\n)` : fixture.name;
    },
    vars: dict(overrides.vars),
    envVars: dict(overrides.env_vars),
    macros,
    ...(given.has(model.uniqueId)
      ? { thisFixture: inline ? `(\n${given.get(model.uniqueId)!.sql}\n)` : given.get(model.uniqueId)!.name }
      : {}),
    ...(macros.is_incremental !== undefined ? { isIncremental: macros.is_incremental === true } : {}),
  };
  const sql = compileNode(context, model, unitOverrides);
  if (inline) return sql;
  return injectCtes(
    sql,
    [...given.values()].map(({ name, sql: body }) => `${name} as (\n${body}\n)`),
  );
}

async function columnTypes(env: MaterializeEnv, sql: string): Promise<Map<string, string>> {
  const text = await env.warehouse.queryText(
    `select * from (\n${sql}\n) as __dbt_unit_types limit 0`,
    'JSONCompact',
  );
  const meta = (JSON.parse(text) as { meta: { name: string; type: string }[] }).meta;
  return new Map(meta.map((column) => [column.name, column.type]));
}

const cells = (rows: Record<string, unknown>[], width: number): Cell[][] =>
  rows.map((row) =>
    Array.from({ length: width || 1 }, (_, i) => {
      const value = row[`c${i}`];
      return value === null || value === undefined ? null : String(value);
    }),
  );

/** Runs one unit test; never throws: an error is its result, with its code. */
export async function runUnitTest(
  context: ProjectContext,
  env: MaterializeEnv,
  manifest: Manifest,
  unitTest: UnitTestRef,
): Promise<NodeResult & { statements: string[] }> {
  const started = Date.now();
  const startedAt = new Date().toISOString();
  const base = {
    uniqueId: unitTest.uniqueId,
    name: unitTest.name,
    resourceType: 'unit_test',
    threadId: 'Thread-1',
  };
  const statements: string[] = [];
  let sql: string | undefined;
  try {
    const model = manifest.nodes.get(
      `model.${unitTest.packageName ?? manifest.projectName}.${unitTest.model}`,
    );
    if (!model)
      throw new DemaError(
        'UNIT_TEST_INVALID',
        `${unitTest.where}: unit test "${unitTest.name}" tests model ${unitTest.model}, which does not exist.`,
      );
    sql = await unitTestSql(context, env, unitTest, model);
    const types = await columnTypes(env, sql);
    const written = fixtureRows(withFixtureFile(context, unitTest, dict(specOf(unitTest).expect)));
    const expect = Array.isArray(written) ? withColumnCase(written, [...types.keys()]) : written;
    // format: sql gives its rows by a query: its columns are the expected columns.
    const sqlTypes = Array.isArray(expect) ? undefined : await columnTypes(env, withoutSemicolon(expect.sql));
    const columns = sqlTypes ? [...sqlTypes.keys()] : expectedColumns(expect as FixtureRow[]);
    const missing = columns.find((column) => !types.has(column));
    if (missing !== undefined)
      throw new DemaError(
        'UNIT_TEST_INVALID',
        `${unitTest.where}: unit test "${unitTest.name}": expected column "${missing}" is not a column of model ${model.name} (it has ${[...types.keys()].join(', ')}).`,
      );
    const actualQuery = actualSql(sql, columns);
    statements.push(actualQuery);
    const actual = cells((await env.warehouse.query(actualQuery)).rows, columns.length);
    const expectedQuery = sqlTypes
      ? expectedFromSql((expect as { sql: string }).sql, sqlTypes, types)
      : expectedSql(expect as FixtureRow[], columns, types);
    let expected: Cell[][] = [];
    if (expectedQuery) {
      statements.push(expectedQuery);
      expected = cells((await env.warehouse.query(expectedQuery)).rows, columns.length);
    }
    const diff = diffRows(actual, expected);
    const passed = diff.onlyActual.length === 0 && diff.onlyExpected.length === 0;
    return {
      ...base,
      status: passed ? 'pass' : 'fail',
      message: passed ? 'PASS' : renderDiff(columns, diff),
      failures: passed ? 0 : 1,
      executionTime: (Date.now() - started) / 1000,
      timing: [{ name: 'execute', started_at: startedAt, completed_at: new Date().toISOString() }],
      adapterResponse: { _message: 'OK' },
      compiledCode: sql,
      statements,
    };
  } catch (error) {
    return {
      ...base,
      status: 'error',
      message: errorMessage(error),
      failures: null,
      executionTime: (Date.now() - started) / 1000,
      timing: [],
      adapterResponse: { _message: 'ERROR' },
      errorCode: isDemaError(error) ? error.code : 'EXEC_MODEL',
      ...(isDemaError(error) && error.hint ? { hint: error.hint } : {}),
      ...(sql !== undefined ? { compiledCode: sql } : {}),
      statements,
    };
  }
}
