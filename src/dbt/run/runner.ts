import { DemaError, errorMessage, isDemaError } from '../../errors.ts';
import type { Reporter } from '../../events.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { compileNode, identityOf } from '../compile/compile-node.ts';
import { createScope, newRenderState, type ProjectContext } from '../compile/context.ts';
import { RelationCache } from '../compile/relation-cache.ts';
import { selectNodes } from '../graph/select.ts';
import { compileTemplate } from '../jinja/environment.ts';
import type { DbtNode } from '../manifest/types.ts';
import { createSchema, type MaterializeEnv, materializeModel } from '../materialize/materialize.ts';
import { runDataTest } from '../materialize/run-test.ts';
import { loadSeed } from '../materialize/seed.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import { describeNode } from './describe.ts';
import { type NodeResult, type NodeStatus, type RunSummary, summarise, type Timing } from './results.ts';

/**
 * dbt's run / test / seed / build / compile: the selected nodes in DAG order on `threads` workers,
 * each compiled just in time and materialized; failures skip descendants as dbt does (§4.4).
 */

export type RunCommand = 'run' | 'test' | 'seed' | 'build' | 'compile';

export interface RunOptions {
  readonly command: RunCommand;
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  readonly threads: number;
  readonly fullRefresh: boolean;
  readonly failFast: boolean;
  readonly storeFailures: boolean;
  readonly invocationId: string;
  readonly reporter: Reporter;
}

export interface RunOutput {
  readonly summary: RunSummary;
  /** Compiled SQL per node, and the statements run per node (for target/compiled and target/run). */
  readonly compiled: Map<string, string>;
  readonly executed: Map<string, string[]>;
}

const RESOURCES: Record<RunCommand, readonly string[]> = {
  run: ['model'],
  test: ['test'],
  seed: ['seed'],
  build: ['model', 'seed', 'test'],
  compile: ['model', 'test'],
};

const iso = (date: Date) => date.toISOString();

export async function executeRun(
  parsed: ParsedProject,
  warehouse: Warehouse,
  options: RunOptions,
): Promise<RunOutput> {
  const started = performance.now();
  const { graph, manifest } = parsed;
  const chosen = selectNodes(graph, { select: options.select, exclude: options.exclude });
  const wanted = new Set(RESOURCES[options.command]);
  const runnable = [...chosen]
    .map((id) => manifest.nodes.get(id)!)
    .filter(
      (node) =>
        wanted.has(node.resourceType) &&
        !(node.resourceType === 'model' && node.config.materialized === 'ephemeral'),
    );
  const order = graph.topologicalOrder().filter((id) => runnable.some((node) => node.uniqueId === id));
  const runnableIds = new Set(order);

  const cache = new RelationCache(warehouse);
  const context: ProjectContext = {
    ...parsed.context,
    invocationId: options.invocationId,
    flags: {
      FULL_REFRESH: options.fullRefresh,
      WHICH: options.command,
      STORE_FAILURES: options.storeFailures,
    },
    runtime: { warehouse, cache },
  };
  const env: MaterializeEnv & { storeFailures: boolean } = {
    warehouse,
    cache,
    invocationId: options.invocationId,
    fullRefresh: options.fullRefresh,
    storeFailures: options.storeFailures,
  };

  const schemas = new Set<string>();
  for (const node of manifest.nodes.values()) if (node.schema) schemas.add(node.schema);
  if (options.command !== 'compile')
    for (const node of runnable)
      if (node.resourceType !== 'test') await warehouse.command(createSchema(node.schema));
  await cache.load(schemas);

  const compiled = new Map<string, string>();
  const executed = new Map<string, string[]>();
  const results: NodeResult[] = [];
  options.reporter.emit({
    type: 'dbt.start',
    command: options.command,
    total: order.length,
    description: describeCounts(runnable),
  });

  if (options.command !== 'compile') await runHooks(parsed, context, 'on-run-start', [], executed);

  const parents = effectiveParents(parsed, order, runnableIds, options.command === 'build');
  const status = new Map<string, NodeStatus>();
  const skipCauses: ReadonlySet<NodeStatus> = new Set(
    options.command === 'build' ? ['error', 'fail', 'skipped'] : ['error', 'skipped'],
  );
  let cancelled = false;
  let counter = 0;

  const reportDone = (index: number, description: string, result: NodeResult) =>
    options.reporter.emit({
      type: 'dbt.node.done',
      index,
      total: order.length,
      uniqueId: result.uniqueId,
      description,
      status: result.status,
      message: result.message,
      seconds: result.executionTime,
      ...(result.errorCode ? { code: result.errorCode } : {}),
      ...(result.hint ? { hint: result.hint } : {}),
    });

  const runOne = async (node: DbtNode): Promise<NodeResult> => {
    const index = ++counter;
    const description = describeNode(node, options.command);
    const blocker = (parents.get(node.uniqueId) ?? []).find((parent) => skipCauses.has(status.get(parent)!));
    if (blocker || cancelled) {
      const result = skipped(
        node,
        cancelled && !blocker
          ? 'Skipping due to fail_fast'
          : `Skipping due to ${status.get(blocker!)} of ${manifest.nodes.get(blocker!)?.name ?? blocker}`,
      );
      reportDone(index, description, result);
      return result;
    }
    options.reporter.emit({
      type: 'dbt.node.start',
      index,
      total: order.length,
      uniqueId: node.uniqueId,
      description,
    });
    const result = await executeNode(parsed, context, env, node, options.command, compiled, executed);
    reportDone(index, description, result);
    return result;
  };

  // A ready queue over the DAG with at most `threads` nodes in flight.
  const pending = new Set(order);
  const running = new Map<string, Promise<void>>();
  const threads = Math.max(1, options.threads);
  while (pending.size > 0 || running.size > 0) {
    for (const id of order) {
      if (running.size >= threads) break;
      if (!pending.has(id)) continue;
      if ((parents.get(id) ?? []).some((parent) => !status.has(parent))) continue;
      pending.delete(id);
      const node = manifest.nodes.get(id)!;
      running.set(
        id,
        runOne(node).then((result) => {
          results.push(result);
          status.set(id, result.status);
          if (options.failFast && (result.status === 'error' || result.status === 'fail')) cancelled = true;
          running.delete(id);
        }),
      );
    }
    if (running.size === 0 && pending.size > 0)
      throw new DemaError(
        'GRAPH_CYCLE',
        'The run could not make progress: a dependency cycle among the selected nodes.',
      );
    if (running.size > 0) await Promise.race(running.values());
  }

  if (options.command !== 'compile') await runHooks(parsed, context, 'on-run-end', results, executed);
  const summary = summarise(results, (performance.now() - started) / 1000);
  options.reporter.emit({
    type: 'dbt.done',
    command: options.command,
    seconds: summary.elapsedSeconds,
    ...summary.counts,
  });
  return { summary, compiled, executed };
}

function describeCounts(nodes: readonly DbtNode[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    const kind =
      node.resourceType === 'model'
        ? `${String(node.config.materialized)} model`
        : node.resourceType === 'test'
          ? 'data test'
          : node.resourceType;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${count} ${kind}${count === 1 ? '' : 's'}`).join(', ');
}

/**
 * The runnable parents of each node: its dependencies among the nodes run, looking through
 * ephemeral models to what they read; in `build`, a node also waits for the tests of its parents.
 */
function effectiveParents(
  parsed: ParsedProject,
  order: readonly string[],
  runnable: ReadonlySet<string>,
  testEdges: boolean,
): Map<string, string[]> {
  const { manifest, graph } = parsed;
  const direct = (id: string): string[] => {
    const found = new Set<string>();
    const visit = (parent: string) => {
      if (runnable.has(parent)) found.add(parent);
      else if (manifest.nodes.get(parent)?.config.materialized === 'ephemeral')
        for (const next of graph.parents.get(parent) ?? []) visit(next);
    };
    for (const parent of graph.parents.get(id) ?? []) visit(parent);
    return [...found];
  };
  const parents = new Map(order.map((id) => [id, direct(id)]));
  if (testEdges) {
    const testsOf = new Map<string, string[]>();
    for (const id of order) {
      const node = manifest.nodes.get(id)!;
      if (node.resourceType !== 'test') continue;
      for (const parent of parents.get(id) ?? []) testsOf.set(parent, [...(testsOf.get(parent) ?? []), id]);
    }
    for (const id of order) {
      if (manifest.nodes.get(id)!.resourceType === 'test') continue;
      // As dbt's add_test_edges: a test gates a child only when everything the test reads is upstream of
      // that child (equal_rowcount between a model and its own parent must not gate the model).
      const ancestors = graph.walk(id, 'parents');
      const extra = (parents.get(id) ?? [])
        .flatMap((parent) => testsOf.get(parent) ?? [])
        .filter((test) => (graph.parents.get(test) ?? []).every((parent) => ancestors.has(parent)));
      parents.set(id, [...new Set([...(parents.get(id) ?? []), ...extra])]);
    }
  }
  return parents;
}

function skipped(node: DbtNode, message: string): NodeResult {
  return {
    uniqueId: node.uniqueId,
    name: node.name,
    resourceType: node.resourceType,
    status: 'skipped',
    message,
    failures: null,
    executionTime: 0,
    timing: [],
    threadId: 'Thread-1',
    adapterResponse: { _message: 'SKIP' },
    ...(node.relationName ? { relationName: node.relationName } : {}),
  };
}

async function executeNode(
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
    const where = message.includes(node.originalFilePath) ? '' : ` (${node.originalFilePath})`;
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

function renderModelHooks(context: ProjectContext, node: DbtNode, kind: 'pre-hook' | 'post-hook'): string[] {
  const hooks = (node.config[kind] as unknown[] | undefined) ?? [];
  return hooks
    .map((hook) => (typeof hook === 'string' ? hook : String((hook as { sql?: string }).sql ?? '')))
    .map((hook) =>
      compileTemplate(hook, node.originalFilePath)
        .render(createScope(context, newRenderState(identityOf(node), true)))
        .trim(),
    )
    .filter(Boolean);
}

async function runHooks(
  parsed: ParsedProject,
  context: ProjectContext,
  kind: 'on-run-start' | 'on-run-end',
  results: readonly NodeResult[],
  executed: Map<string, string[]>,
): Promise<void> {
  const warehouse = context.runtime!.warehouse;
  for (const node of parsed.manifest.nodes.values()) {
    if (node.hook?.kind !== kind) continue;
    const extra =
      kind === 'on-run-end'
        ? {
            results: results.map(jinjaResult),
            schemas: [...new Set(results.map((r) => parsed.manifest.nodes.get(r.uniqueId)?.schema))],
          }
        : {};
    const sql = compileTemplate(node.rawCode, `dbt_project.yml (${kind}[${node.hook.index}])`)
      .render(createScope(context, newRenderState(identityOf(node), true, extra)))
      .trim();
    if (!sql) continue;
    for (const statement of sql
      .split(/;\s*(?:\n|$)/)
      .map((s) => s.trim())
      .filter(Boolean))
      await warehouse.command(statement);
    executed.set(node.uniqueId, [sql]);
  }
}

function jinjaResult(result: NodeResult) {
  return {
    status: result.status,
    message: result.message,
    failures: result.failures,
    execution_time: result.executionTime,
    timing: result.timing,
    adapter_response: result.adapterResponse,
    node: { unique_id: result.uniqueId, name: result.name, resource_type: result.resourceType },
    to_dict: () => ({
      status: result.status,
      message: result.message,
      unique_id: result.uniqueId,
      execution_time: result.executionTime,
    }),
  };
}
