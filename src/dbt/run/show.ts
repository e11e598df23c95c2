import { DemaError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { compileNode } from '../compile/compile-node.ts';
import { type ExtraMethods, selectNodes } from '../graph/select.ts';
import type { DbtNode } from '../manifest/types.ts';
import { baseNode } from '../parser/base-node.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import { executeContext } from './runtime-context.ts';

/**
 * dbt's `show`: the selected nodes' compiled SQL (or an inline query, Jinja rendered with refs),
 * run with a limit and nothing materialized. The limit wraps the SQL as dbt's get_show_sql does.
 */

export interface ShowRequest {
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  /** `state:` / `result:` (--state). */
  readonly methods?: ExtraMethods;
  readonly inline?: string;
  readonly invocationId: string;
}

export interface Preview {
  readonly name: string;
  readonly sql: string;
}

/** What dbt show previews: nodes whose compiled SQL is a query. */
const PREVIEWABLE: ReadonlySet<DbtNode['resourceType']> = new Set(['model', 'analysis', 'test']);

export async function previewQueries(
  parsed: ParsedProject,
  warehouse: Warehouse,
  request: ShowRequest,
): Promise<Preview[]> {
  const nodes =
    request.inline === undefined ? selectedQueries(parsed, request) : [inlineNode(parsed, request.inline)];
  const context = await executeContext(parsed, warehouse, 'show', request.invocationId);
  return nodes.map((node) => ({
    name: node.name,
    sql: compileNode(context, node).trim().replace(/;\s*$/, ''),
  }));
}

/** `select * from (<sql>) limit N`, as dbt's default__get_show_sql; a negative limit shows every row. */
export function limitedSql(sql: string, limit: number): string {
  return `select * from (\n${sql}\n) as model_limit_subq${limit >= 0 ? ` limit ${limit}` : ''}`;
}

/** A preview's rows, at most `limit` (all when negative), as JSON values. */
export async function previewRows(
  warehouse: Warehouse,
  preview: Preview,
  limit: number,
): Promise<Record<string, unknown>[]> {
  return (await warehouse.query<Record<string, unknown>>(limitedSql(preview.sql, limit))).rows;
}

function selectedQueries(parsed: ParsedProject, request: ShowRequest): DbtNode[] {
  if (request.select.length === 0)
    throw new DemaError('USAGE', 'dema show needs --select or --inline.', {
      hint: `e.g. dema show -s my_model, or dema show --inline "select * from {{ ref('my_model') }}"`,
    });
  // dbt's show previews the node asked for: tests come in only when selected directly (a model's
  // tests would query a relation show never builds).
  const chosen = selectNodes(parsed.graph, {
    select: request.select,
    exclude: request.exclude,
    indirectSelection: 'empty',
    ...(request.methods ? { methods: request.methods } : {}),
  });
  const nodes = parsed.graph
    .topologicalOrder()
    .filter((id) => chosen.has(id))
    .map((id) => parsed.manifest.nodes.get(id)!)
    .filter((node) => PREVIEWABLE.has(node.resourceType));
  if (nodes.length === 0)
    throw new DemaError(
      'USAGE',
      `--select ${request.select.join(' ')} matches no model, analysis or test to show.`,
      {
        hint: '`dema ls -s …` lists what a selection matches.',
      },
    );
  return nodes;
}

function inlineNode(parsed: ParsedProject, sql: string): DbtNode {
  const project = parsed.project.name;
  const node = baseNode({
    uniqueId: `sql_operation.${project}.inline_query`,
    name: 'inline_query',
    resourceType: 'operation',
    packageName: project,
    fqn: [project, 'inline_query'],
    originalFilePath: '--inline',
    path: 'inline_query',
    rawCode: sql,
  });
  node.schema = String(parsed.context.target.schema ?? '');
  // Nothing is ordered after an inline query: it may ref any node (the parse-time check is about order).
  node.dependsOn = [...parsed.manifest.nodes.keys()];
  return node;
}
