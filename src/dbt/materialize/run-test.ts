import type { Capabilities } from '../../warehouse/capabilities.ts';
import { quoteIdent } from '../../warehouse/sql.ts';
import type { DbtNode } from '../manifest/types.ts';
import { dropTable, rel, testWrapper } from './ddl.ts';
import type { MaterializeEnv } from './materialize.ts';

export interface TestOutcome {
  readonly status: 'pass' | 'fail' | 'warn';
  readonly failures: number;
  readonly message: string;
  readonly statements: string[];
  readonly bytesRead: number;
}

/**
 * Tests find missing rows with `LEFT JOIN … WHERE right.x IS NULL` (dbt_expectations, dbt_utils);
 * with ClickHouse's default a non-joined row holds the type's default value instead of NULL, and
 * such a test would pass on bad data. Test queries therefore run with standard SQL join NULLs.
 * Likewise an aggregate of no rows (a row_condition that matches nothing) is NULL in SQL, so
 * `sum(x) >= 1` is unknown and the test passes; ClickHouse's default gives 0 (or NaN) and fails it.
 */
export function testSettings(capabilities: Capabilities): Record<string, number> {
  return {
    join_use_nulls: 1,
    ...(capabilities.aggregateNullForEmptySetting ? { aggregate_functions_null_for_empty: 1 } : {}),
  };
}

/** Runs a data test through dbt's wrapper; with store_failures the failing rows are kept, tagged with the invocation. */
export async function runDataTest(
  node: DbtNode,
  sql: string,
  env: MaterializeEnv & { storeFailures: boolean },
): Promise<TestOutcome> {
  const statements: string[] = [];
  const settings = testSettings(env.warehouse.capabilities);
  let body = sql;
  const store =
    node.config.store_failures === true || (node.config.store_failures !== false && env.storeFailures);
  if (store) {
    const audit = { schema: node.schema, name: node.alias };
    const create = [
      `create database if not exists ${quoteIdent(audit.schema)}`,
      dropTable(audit),
      `create table ${rel(audit)}\n  engine = MergeTree()\n  order by tuple()\nas select '${env.invocationId}' as dbt_invocation_id, * from (\n${sql.trim()}\n)`,
    ];
    for (const statement of create) {
      statements.push(statement);
      await env.warehouse.command(statement, settings);
    }
    body = `select * from ${rel(audit)}`;
  }
  const wrapper = testWrapper(body, node.config);
  statements.push(wrapper);
  const { rows, stats } = await env.warehouse.query<{
    failures: string | number;
    should_warn: number | boolean;
    should_error: number | boolean;
  }>(wrapper, settings);
  const row = rows[0];
  const failures = Number(row?.failures ?? 0);
  const severity = String(node.config.severity ?? 'error').toLowerCase();
  const truthy = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';
  const status =
    severity === 'error' && truthy(row?.should_error) ? 'fail' : truthy(row?.should_warn) ? 'warn' : 'pass';
  const message =
    status === 'pass'
      ? 'PASS'
      : `Got ${failures} result${failures === 1 ? '' : 's'}, configured to ${status === 'fail' ? 'fail' : 'warn'} if ${String(status === 'fail' ? node.config.error_if : node.config.warn_if)}`;
  return { status, failures, message, statements, bytesRead: stats.bytesRead };
}
