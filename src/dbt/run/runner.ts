import { DemaError } from '../../errors.ts';
import type { Reporter } from '../../events.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { compiledPath } from '../artifacts/artifacts.ts';
import type { ProjectContext } from '../compile/context.ts';
import { RelationCache } from '../compile/relation-cache.ts';
import { type Selection, selectNodes } from '../graph/select.ts';
import type { IndirectSelection, SelectionSpec } from '../graph/selection-spec.ts';
import type { DbtNode, UnitTestRef } from '../manifest/types.ts';
import { createSchema, type MaterializeEnv } from '../materialize/materialize.ts';
import { dropHelpers } from '../materialize/publish.ts';
import { standardViewSettings } from '../materialize/standard-sql.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import type { WarnErrorPolicy } from '../warn-error.ts';
import { describeNode } from './describe.ts';
import { executeNode } from './execute-node.ts';
import { runHooks } from './hooks.ts';
import { type NodeResult, type NodeStatus, type RunSummary, skippedResult, summarise } from './results.ts';
import { runUnitTest } from './unit-test.ts';
import { refuseUnsupportedSelected } from './unit-test-gate.ts';

/**
 * dbt's run / test / seed / build / compile: the selected nodes in DAG order on `threads` workers,
 * each compiled just in time and materialized; failures skip descendants as dbt does (§4.4).
 */

export type RunCommand = 'run' | 'test' | 'seed' | 'snapshot' | 'build' | 'compile';

export interface RunOptions {
  readonly command: RunCommand;
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  /** dbt's --exclude-resource-type: these resource types do not run (unit_test lets build/test run). */
  readonly excludeResourceTypes?: readonly string[];
  readonly threads: number;
  readonly fullRefresh: boolean;
  readonly failFast: boolean;
  readonly storeFailures: boolean;
  readonly invocationId: string;
  readonly reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM: no node starts after it, the running ones stop at their next statement. */
  readonly signal?: AbortSignal;
  /** `state:` / `result:` selection (--state) and `dema retry`'s exact node set (graph/select.ts). */
  readonly selection?: Pick<Selection, 'methods' | 'uniqueIds'>;
  /** --indirect-selection, and a selectors.yml definition used instead of select/exclude. */
  readonly indirectSelection?: IndirectSelection;
  readonly spec?: SelectionSpec;
  /** --empty: every ref()/source() reads zero rows (flags.EMPTY), so relations are built schema-only. */
  readonly empty?: boolean;
  /** --warn-error(-options): a test warning (LogTestResult) becomes a failure, as in dbt. */
  readonly warnError?: WarnErrorPolicy;
}

export interface RunOutput {
  readonly summary: RunSummary;
  /** Compiled SQL per node, and the statements run per node (for target/compiled and target/run). */
  readonly compiled: Map<string, string>;
  readonly executed: Map<string, string[]>;
  /** The run was interrupted (its signal aborted): its helpers are dropped, on-run-end did not run. */
  readonly interrupted: boolean;
}

const RESOURCES: Record<RunCommand, readonly string[]> = {
  run: ['model'],
  test: ['test'],
  seed: ['seed'],
  snapshot: ['snapshot'],
  build: ['model', 'seed', 'snapshot', 'test'],
  compile: ['model', 'snapshot', 'test', 'analysis'],
};

const _iso = (date: Date) => date.toISOString();

export async function executeRun(
  parsed: ParsedProject,
  warehouse: Warehouse,
  options: RunOptions,
): Promise<RunOutput> {
  const started = performance.now();
  const { graph, manifest } = parsed;
  const chosen = selectNodes(graph, {
    select: options.select,
    exclude: options.exclude,
    ...options.selection,
    ...(options.indirectSelection ? { indirectSelection: options.indirectSelection } : {}),
    ...(options.spec ? { spec: options.spec } : {}),
  });
  const excludedTypes = options.excludeResourceTypes ?? [];
  const unitTests = refuseUnsupportedSelected(manifest, options.command, chosen, options, excludedTypes);
  const wanted = new Set(RESOURCES[options.command].filter((type) => !excludedTypes.includes(type)));
  const runnable = [...chosen]
    .map((id) => manifest.nodes.get(id)!)
    .filter(
      (node) =>
        wanted.has(node.resourceType) &&
        !(node.resourceType === 'model' && node.config.materialized === 'ephemeral'),
    );
  const runnableIds = new Set(runnable.map((node) => node.uniqueId));
  const order = graph.topologicalOrder().filter((id) => runnableIds.has(id));
  // In build a unit test runs just before its model (after the model's parents); otherwise first.
  const unitTestsOf = new Map<string, UnitTestRef[]>();
  const upfront: UnitTestRef[] = [];
  for (const unitTest of unitTests) {
    const model = `model.${unitTest.packageName ?? manifest.projectName}.${unitTest.model}`;
    if (options.command === 'build' && runnableIds.has(model))
      unitTestsOf.set(model, [...(unitTestsOf.get(model) ?? []), unitTest]);
    else upfront.push(unitTest);
  }
  const total = order.length + unitTests.length;

  const cache = new RelationCache(warehouse);
  const context: ProjectContext = {
    ...parsed.context,
    invocationId: options.invocationId,
    flags: {
      FULL_REFRESH: options.fullRefresh,
      WHICH: options.command,
      STORE_FAILURES: options.storeFailures,
      EMPTY: options.empty === true,
    },
    selectedResources: [...chosen],
    runtime: { warehouse, cache },
    ...(options.empty ? { emptyPredicate: await neverTrue(warehouse) } : {}),
  };
  const env: MaterializeEnv & { storeFailures: boolean } = {
    warehouse,
    cache,
    invocationId: options.invocationId,
    fullRefresh: options.fullRefresh,
    storeFailures: options.storeFailures,
    ...(options.signal ? { signal: options.signal } : {}),
    viewSettings: options.command === 'compile' ? {} : await standardViewSettings(warehouse),
    ...(options.empty ? { empty: true } : {}),
  };

  const schemas = new Set<string>();
  for (const node of manifest.nodes.values()) if (node.schema) schemas.add(node.schema);
  if (options.command !== 'compile') {
    // Each schema once, in the order its first node comes.
    for (const schema of new Set(runnable.filter((n) => n.resourceType !== 'test').map((n) => n.schema)))
      await warehouse.command(createSchema(schema));
    await dropDeadHelpers(warehouse, schemas, options.reporter);
  }
  await cache.load(schemas);

  const compiled = new Map<string, string>();
  const executed = new Map<string, string[]>();
  const results: NodeResult[] = [];
  options.reporter.emit({
    type: 'dbt.start',
    command: options.command,
    total,
    description: describeCounts(runnable, unitTests.length),
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
      total,
      uniqueId: result.uniqueId,
      description,
      status: result.status,
      message: result.message,
      seconds: result.executionTime,
      ...(result.errorCode ? { code: result.errorCode } : {}),
      ...(result.hint ? { hint: result.hint } : {}),
      ...(result.status === 'error' || result.status === 'fail' || result.status === 'warn'
        ? { path: compiledPath(parsed, result.uniqueId) }
        : {}),
    });

  const runUnit = async (unitTest: UnitTestRef): Promise<NodeResult> => {
    const index = ++counter;
    const description = `unit_test ${unitTest.model}::${unitTest.name}`;
    options.reporter.emit({ type: 'dbt.node.start', index, total, uniqueId: unitTest.uniqueId, description });
    const { statements, ...result } = await runUnitTest(context, env, manifest, unitTest);
    if (result.compiledCode !== undefined) compiled.set(result.uniqueId, result.compiledCode);
    executed.set(result.uniqueId, statements);
    results.push(result);
    status.set(result.uniqueId, result.status);
    if (options.failFast && result.status !== 'pass') cancelled = true;
    reportDone(index, description, result);
    return result;
  };

  const runOne = async (node: DbtNode): Promise<NodeResult> => {
    const unitResults: NodeResult[] = [];
    for (const unitTest of unitTestsOf.get(node.uniqueId) ?? []) {
      const upstream = (parents.get(node.uniqueId) ?? []).find((parent) =>
        skipCauses.has(status.get(parent)!),
      );
      if (!upstream && !cancelled && !options.signal?.aborted) {
        unitResults.push(await runUnit(unitTest));
        continue;
      }
      // Skipped with its model: still one result, as dbt reports it.
      const index = ++counter;
      const result = skippedResult(
        { ...unitTest, resourceType: 'unit_test' },
        upstream
          ? `Skipping due to ${status.get(upstream)} of ${manifest.nodes.get(upstream)?.name ?? upstream}`
          : 'Skipping',
      );
      results.push(result);
      status.set(result.uniqueId, result.status);
      reportDone(index, `unit_test ${unitTest.model}::${unitTest.name}`, result);
    }
    const unitFailed = unitResults.find((result) => result.status !== 'pass');
    const index = ++counter;
    const description = describeNode(node, options.command);
    const blocker = (parents.get(node.uniqueId) ?? []).find((parent) => skipCauses.has(status.get(parent)!));
    const interrupted = options.signal?.aborted === true;
    if (blocker || cancelled || interrupted || unitFailed) {
      const result = skippedResult(
        node,
        unitFailed && !interrupted
          ? `Skipping due to ${unitFailed.status} of unit test ${unitFailed.name}`
          : interrupted
            ? `Skipping due to ${String(options.signal!.reason)}`
            : cancelled && !blocker
              ? 'Skipping due to fail_fast'
              : `Skipping due to ${status.get(blocker!)} of ${manifest.nodes.get(blocker!)?.name ?? blocker}`,
      );
      reportDone(index, description, result);
      return result;
    }
    options.reporter.emit({
      type: 'dbt.node.start',
      index,
      total,
      uniqueId: node.uniqueId,
      description,
    });
    const result = warnAsError(
      await executeNode(parsed, context, env, node, options.command, compiled, executed),
      options.warnError,
    );
    reportDone(index, description, result);
    return result;
  };

  for (const unitTest of upfront) await runUnit(unitTest);

  // A ready queue over the DAG with at most `threads` nodes in flight: each node counts the parents
  // it still waits for, and joins the queue (kept in DAG order) when the count reaches zero.
  const position = new Map(order.map((id, i) => [id, i]));
  const waitingOn = new Map(order.map((id) => [id, (parents.get(id) ?? []).length]));
  const dependents = new Map<string, string[]>();
  for (const id of order)
    for (const parent of parents.get(id) ?? [])
      dependents.set(parent, [...(dependents.get(parent) ?? []), id]);
  const ready = order.filter((id) => waitingOn.get(id) === 0);
  const makeReady = (id: string) => {
    let at = ready.length;
    while (at > 0 && position.get(ready[at - 1]!)! > position.get(id)!) at--;
    ready.splice(at, 0, id);
  };
  const running = new Map<string, Promise<void>>();
  const threads = Math.max(1, options.threads);
  while (ready.length > 0 || running.size > 0) {
    while (ready.length > 0 && running.size < threads) {
      const id = ready.shift()!;
      running.set(
        id,
        runOne(manifest.nodes.get(id)!).then((result) => {
          results.push(result);
          status.set(id, result.status);
          if (options.failFast && (result.status === 'error' || result.status === 'fail')) cancelled = true;
          running.delete(id);
          for (const child of dependents.get(id) ?? []) {
            const left = waitingOn.get(child)! - 1;
            waitingOn.set(child, left);
            if (left === 0) makeReady(child);
          }
        }),
      );
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  if (results.length < total)
    throw new DemaError(
      'GRAPH_CYCLE',
      'The run could not make progress: a dependency cycle among the selected nodes.',
    );

  const interrupted = options.signal?.aborted === true;
  // Each node drops its helpers as it ends; this catches any an interruption left between two statements.
  if (interrupted) await dropHelpers(warehouse, schemas, options.invocationId).catch(() => undefined);
  else if (options.command !== 'compile') await runHooks(parsed, context, 'on-run-end', results, executed);
  const summary = summarise(results, (performance.now() - started) / 1000);
  options.reporter.emit({
    type: 'dbt.done',
    command: options.command,
    seconds: summary.elapsedSeconds,
    ...summary.counts,
  });
  return { summary, compiled, executed, interrupted };
}

/** dbt's `where false`, where the engine reads `false` (18.16 has no boolean literals: `where 0` there). */
async function neverTrue(warehouse: Warehouse): Promise<string> {
  return warehouse.query('select false').then(
    () => 'false',
    () => '0',
  );
}

/** dbt's test task: with --warn-error (or LogTestResult included) a warning test fails, same message. */
function warnAsError(result: NodeResult, policy: WarnErrorPolicy | undefined): NodeResult {
  if (result.status !== 'warn' || !policy?.isError('LogTestResult')) return result;
  return {
    ...result,
    status: 'fail',
    message: result.message.replace('configured to warn if', 'configured to fail if'),
  };
}

/** Helpers left by a dead invocation (the warehouse lock means no live one is working here). */
async function dropDeadHelpers(warehouse: Warehouse, schemas: Set<string>, reporter: Reporter) {
  const dropped = await dropHelpers(warehouse, schemas);
  if (dropped.length > 0)
    reporter.emit({
      type: 'log',
      level: 'info',
      message: `Dropped ${dropped.length} helper table(s) left by an interrupted run: ${dropped.join(', ')}`,
    });
}

function describeCounts(nodes: readonly DbtNode[], unitTests: number): string {
  const counts = new Map<string, number>();
  if (unitTests > 0) counts.set('unit test', unitTests);
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
