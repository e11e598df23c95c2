import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileTemplate, type Scope } from '../../src/dbt/jinja/environment.ts';
import { CASES, type ConformanceCase } from './jinja-conformance.cases.ts';

/**
 * Differential conformance: every case is rendered by dema and by Python's jinja2 (one python3
 * process for all, configured as dbt configures it). Outputs must be equal, or both must fail.
 */

const ORACLE = fileURLToPath(new URL('../helpers/jinja2-oracle.py', import.meta.url));

type OracleResult = { ok: true; output: string } | { ok: false; error: string };

function renderWithJinja2(cases: readonly ConformanceCase[]): OracleResult[] {
  const run = spawnSync('python3', [ORACLE], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `the jinja2 oracle failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as OracleResult[];
}

function renderWithDema(item: ConformanceCase, index: number): OracleResult {
  const context = item.context ?? {};
  const scope: Scope = { has: (name) => Object.hasOwn(context, name), get: (name) => context[name] };
  try {
    return { ok: true, output: compileTemplate(item.template, `case-${index}.sql`).render(scope) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

test('dema renders every conformance case as Python jinja2 does (or both fail)', () => {
  assert.ok(CASES.length >= 400, `expected at least 400 cases, have ${CASES.length}`);
  const expected = renderWithJinja2(CASES);
  const differences: string[] = [];
  CASES.forEach((item, index) => {
    const oracle = expected[index]!;
    const ours = renderWithDema(item, index);
    const same = oracle.ok ? ours.ok && ours.output === oracle.output : !ours.ok;
    if (!same)
      differences.push(
        `#${index} ${JSON.stringify(item.template)}\n    jinja2: ${oracle.ok ? JSON.stringify(oracle.output) : `error ${oracle.error}`}\n    dema:   ${ours.ok ? JSON.stringify(ours.output) : `error ${ours.error}`}`,
      );
  });
  const equal = CASES.length - differences.length;
  assert.equal(
    differences.length,
    0,
    `${equal}/${CASES.length} equal; differences:\n${differences.join('\n')}`,
  );
});
