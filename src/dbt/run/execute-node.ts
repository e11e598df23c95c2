import { errorMessage, isDemaError } from '../../errors.ts';
import { compileNode } from '../compile/compile-node.ts';
import type { ProjectContext } from '../compile/context.ts';
import type { DbtNode } from '../manifest/types.ts';
import { type MaterializeEnv, materializeModel } from '../materialize/materialize.ts';
import { runDataTest } from '../materialize/run-test.ts';
import { loadSeed } from '../materialize/seed.ts';
import { materializeSnapshot } from '../materialize/snapshot.ts';
import { nodeFile } from '../parser/names.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import { renderModelHooks } from './hooks.ts';
import type { NodeResult, Timing } from './results.ts';
import type { RunCommand } from './runner.ts';

/**
 * One node of a run: compile just in time, then materialize (with its pre/post hooks), load the
 * seed, or run the test. Never throws: a failure is the node's result, with its code and hint.
 */

const iso = (date: Date) => date.toISOString();

export async function executeNode(
  parsed: ParsedProject,
  context: ProjectContext,
  env: MaterializeEnv & { storeFailures: boolean },
  node: DbtNode,
  command: RunCommand,
  compiled: Map<string, string>,
  executed: Map<string, string[]>,
): Promise<NodeResult> {
  const timing: Timing[] = [];
  const startedAt = new Date();
  const base = {
    uniqueId: node.uniqueId,
    name: node.name,
    resourceType: node.resourceType,
    threadId: 'Thread-1',
    ...(node.relationName ? { relationName: node.relationName } : {}),
  };
  let sql: string | undefined;
  try {
    if (node.resourceType !== 'seed') {
      sql = compileNode(context, node);
      compiled.set(node.uniqueId, sql);
    }
    const compiledAt = new Date();
    timing.push({ name: 'compile', started_at: iso(startedAt), completed_at: iso(compiledAt) });
    if (command === 'compile') {
      return {
        ...base,
        status: 'success',
        message: 'OK',
        failures: null,
        executionTime: seconds(startedAt),
        timing,
        adapterResponse: { _message: 'OK' },
        ...(sql !== undefined ? { compiledCode: sql } : {}),
      };
    }
    if (node.resourceType === 'test') {
      const outcome = await runDataTest(node, sql!, env);
      executed.set(node.uniqueId, outcome.statements);
      timing.push({ name: 'execute', started_at: iso(compiledAt), completed_at: iso(new Date()) });
      return {
        ...base,
        status: outcome.status,
        message: outcome.message,
        failures: outcome.failures,
        executionTime: seconds(startedAt),
        timing,
        adapterResponse: { _message: 'OK', bytes_read: outcome.bytesRead },
        compiledCode: sql!,
      };
    }
    const hooks = (kind: 'pre-hook' | 'post-hook') => renderModelHooks(context, node, kind);
    const statements: string[] = [];
    for (const hook of hooks('pre-hook')) {
      statements.push(hook);
      await env.warehouse.command(hook);
    }
    const outcome =
      node.resourceType === 'seed'
        ? await loadSeed(node, parsed.project.dir, env)
        : node.resourceType === 'snapshot'
          ? await materializeSnapshot(node, sql!, env)
          : await materializeModel(node, sql!, env);
    statements.push(...outcome.statements);
    for (const hook of hooks('post-hook')) {
      statements.push(hook);
      await env.warehouse.command(hook);
    }
    executed.set(node.uniqueId, statements);
    timing.push({ name: 'execute', started_at: iso(compiledAt), completed_at: iso(new Date()) });
    return {
      ...base,
      status: 'success',
      message: outcome.message,
      failures: null,
      executionTime: seconds(startedAt),
      timing,
      adapterResponse: {
        _message: 'OK',
        ...(outcome.rowsWritten !== undefined ? { rows_written: outcome.rowsWritten } : {}),
        bytes_read: outcome.bytesRead,
      },
      ...(sql !== undefined ? { compiledCode: sql } : {}),
    };
  } catch (error) {
    const message = errorMessage(error);
    const where = message.includes(nodeFile(node)) ? '' : ` (${nodeFile(node)})`;
    return {
      ...base,
      status: 'error',
      message: `${message}${where}`,
      failures: null,
      executionTime: seconds(startedAt),
      timing,
      adapterResponse: { _message: 'ERROR' },
      errorCode: isDemaError(error) ? error.code : 'EXEC_MODEL',
      ...(isDemaError(error) && error.hint
        ? { hint: error.hint }
        : (error as { hint?: string }).hint
          ? { hint: (error as { hint: string }).hint }
          : {}),
      ...(sql !== undefined ? { compiledCode: sql } : {}),
    };
  }
}

const seconds = (since: Date) => (Date.now() - since.getTime()) / 1000;
