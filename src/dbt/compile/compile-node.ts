import { DemaError } from '../../errors.ts';
import { compileTemplate, withScope } from '../jinja/environment.ts';
import type { DbtNode } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';
import {
  createScope,
  type NodeIdentity,
  newRenderState,
  type ParseCapture,
  type ProjectContext,
  type RenderState,
  type UnitTestOverrides,
} from './context.ts';
import { injectCtes } from './inject-ctes.ts';
import { atLazyLine } from './lazy-line.ts';

/**
 * The second, "just in time" render of a node with `execute` true: refs resolve to relations,
 * ephemeral models referenced are compiled recursively and injected as CTEs (dbt-semantics.md §3.5).
 */

export function identityOf(node: DbtNode): NodeIdentity {
  return {
    uniqueId: node.uniqueId,
    name: node.name,
    resourceType: node.resourceType,
    packageName: node.packageName,
    originalFilePath: node.originalFilePath,
    shownFile: nodeFile(node),
    schema: node.schema,
    alias: node.alias,
    config: node.config,
    node,
  };
}

/** Renders a node's SQL without CTE injection; returns the SQL and the ephemeral models it used. */
function renderNode(
  context: ProjectContext,
  node: DbtNode,
  extra?: Record<string, unknown>,
  unitTest?: UnitTestOverrides,
): { sql: string; state: RenderState } {
  const plain = newRenderState(identityOf(node), true, extra);
  const state: RenderState = unitTest ? { ...plain, unitTest } : plain;
  const scope = createScope(context, state);
  if (node.test && node.testType === 'generic')
    return { sql: renderGenericTest(context, node, state, scope), state };
  const sql = compileTemplate(node.rawCode, nodeFile(node)).render(scope);
  return { sql, state };
}

/** With `unitTest`, the model as its unit test sees it: givens for refs/sources, overrides applied. */
export function compileNode(context: ProjectContext, node: DbtNode, unitTest?: UnitTestOverrides): string {
  const { sql, state } = renderNode(context, node, undefined, unitTest);
  if (state.run.ephemerals.length === 0) return sql;
  const ctes = new Map<string, string>();
  const visit = (ids: readonly string[], chain: readonly string[]) => {
    for (const id of ids) {
      if (ctes.has(id)) continue;
      if (chain.includes(id))
        throw new DemaError(
          'GRAPH_CYCLE',
          `Ephemeral models refer to each other: ${[...chain, id].join(' → ')}`,
        );
      const ephemeral = context.lookup.node(id);
      if (!ephemeral)
        throw new DemaError('REF_NOT_FOUND', `Ephemeral model ${id} is missing from the manifest.`);
      const rendered = renderNode(context, ephemeral);
      visit(rendered.state.run.ephemerals, [...chain, id]);
      ctes.set(id, `__dbt__cte__${ephemeral.alias} as (\n${rendered.sql.trim()}\n)`);
    }
  };
  visit(state.run.ephemerals, [node.uniqueId]);
  refuseCtesWithout(context, node, [...ctes.keys()]);
  return injectCtes(sql, [...ctes.values()]);
}

/** Ephemeral models are `WITH name AS (subquery)` CTEs, which ClickHouse parses from 20.1 only. */
function refuseCtesWithout(context: ProjectContext, node: DbtNode, ephemerals: readonly string[]): void {
  const capabilities = context.runtime?.warehouse.capabilities;
  if (!capabilities || capabilities.cteSubqueries) return;
  throw new DemaError(
    'DBT_UNSUPPORTED',
    `${nodeFile(node)}: reads ephemeral ${ephemerals.join(', ')}, but ClickHouse ${capabilities.version} has no WITH name AS (subquery) (from 20.1).`,
    {
      hint: 'Materialize those models as views on this server (+materialized: view), or use ClickHouse 20.1 or later.',
    },
  );
}

const KWARG_EXPRESSION = /^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$/;

/** A generic test: its macro called with the YAML arguments; ref()/source()/var() strings are evaluated first. */
/** A generic test rendered with `execute` false: the refs, sources and config() its macro records. */
export function parseGenericTest(context: ProjectContext, node: DbtNode): ParseCapture {
  const state = newRenderState({ ...identityOf(node), node: undefined }, false);
  try {
    renderGenericTest(context, node, state, createScope(context, state));
  } catch (error) {
    // A failure inside a package's test macro is still reported against the YAML that uses it.
    if (error instanceof DemaError) throw error;
    const line = node.lineOf?.();
    throw new DemaError(
      'JINJA_RENDER',
      `${nodeFile(node)}${line ? `:${line}` : ''}: test ${node.name}: ${(error as Error).message}`,
      { hint: 'The test macro could not be rendered; check its arguments.', cause: error },
    );
  }
  return state.parse;
}

function renderGenericTest(
  context: ProjectContext,
  node: DbtNode,
  state: RenderState,
  scope: ReturnType<typeof createScope>,
): string {
  const test = node.test!;
  let captured: unknown;
  const evaluate = (expression: string): unknown => {
    const capture = {
      __dema_capture: (value: unknown) => {
        captured = value;
        return '';
      },
    };
    const inner = atLazyLine((lineOffset) => {
      const attempt = newRenderState(state.identity, state.execute, capture);
      attempt.run.ephemerals.push(...state.run.ephemerals);
      compileTemplate(`{{ __dema_capture(${expression}) }}`, nodeFile(node), lineOffset).render(
        createScope(context, attempt),
      );
      return attempt;
    }, node.lineOf);
    for (const id of inner.run.ephemerals)
      if (!state.run.ephemerals.includes(id)) state.run.ephemerals.push(id);
    state.parse.refs.push(...inner.parse.refs);
    state.parse.sources.push(...inner.parse.sources);
    return captured;
  };
  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string' && KWARG_EXPRESSION.test(value)) return evaluate(value);
    if (Array.isArray(value)) return value.map(resolve);
    return value;
  };
  const definition = context.registry.find(`test_${test.name}`, test.namespace);
  // A model-level test macro (dbt_utils.recency) attached to a column does not take column_name:
  // it is left out rather than failing the call (Jinja2 would reject the extra keyword).
  const takesColumn =
    !definition || /\b(column_name|kwargs)\b/.test(`${definition.params} ${definition.body}`);
  const kwargs: Record<string, unknown> = { __keywords: true };
  for (const [key, value] of Object.entries(test.kwargs)) {
    if (key === 'model') kwargs.model = attachedRelation(context, node, scope);
    else if (key === 'column_name') {
      if (takesColumn) kwargs.column_name = value;
    } else kwargs[key] = resolve(value);
  }
  const macro = test.namespace
    ? context.registry.namespace(test.namespace)?.[`test_${test.name}`]
    : (() => {
        const def = context.registry.findByLocality(`test_${test.name}`);
        return def ? context.registry.bind(def) : undefined;
      })();
  if (!macro)
    throw new DemaError('JINJA_RENDER', `${nodeFile(node)}: test macro test_${test.name} not found.`);
  return String(withScope(scope, () => macro(kwargs)));
}

type JinjaFunction = (...args: unknown[]) => unknown;

/**
 * `get_where_subquery(ref(...))` of the node a generic test is attached to, without a template: the
 * Relation itself (as dbt passes it) unless a `where` makes it a subquery string.
 */
function attachedRelation(
  context: ProjectContext,
  node: DbtNode,
  scope: ReturnType<typeof createScope>,
): unknown {
  const attached = context.lookup.node(node.test!.attachedNode!);
  if (!attached)
    throw new DemaError(
      'REF_NOT_FOUND',
      `${nodeFile(node)}: test ${node.name} is attached to a missing node.`,
    );
  return withScope(scope, () => {
    const relation =
      attached.resourceType === 'source'
        ? (scope.get('source') as JinjaFunction)(attached.sourceName, attached.name)
        : attached.packageDir
          ? // A package's node, named with its package (as the test's parse recorded it).
            (scope.get('ref') as JinjaFunction)(attached.packageName, attached.name)
          : (scope.get('ref') as JinjaFunction)(attached.name);
    // As dbt: the relation itself without a `where` (dbt_utils checks `model` is a Relation), else SQL text.
    const model = (scope.get('get_where_subquery') as JinjaFunction)(relation);
    return typeof model === 'string' ? model.trim() : model;
  });
}
