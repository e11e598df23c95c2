import { identityOf } from '../compile/compile-node.ts';
import { createScope, newRenderState, type ProjectContext } from '../compile/context.ts';
import { compileTemplate } from '../jinja/environment.ts';
import type { DbtNode } from '../manifest/types.ts';
import { nodeFile } from '../parser/names.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import type { NodeResult } from './results.ts';

/** Model pre/post-hooks and the project's on-run-start / on-run-end, rendered at run time. */

export function renderModelHooks(
  context: ProjectContext,
  node: DbtNode,
  kind: 'pre-hook' | 'post-hook',
): string[] {
  const hooks = (node.config[kind] as unknown[] | undefined) ?? [];
  return hooks
    .map((hook) => (typeof hook === 'string' ? hook : String((hook as { sql?: string }).sql ?? '')))
    .map((hook) =>
      compileTemplate(hook, nodeFile(node))
        .render(createScope(context, newRenderState(identityOf(node), true)))
        .trim(),
    )
    .filter(Boolean);
}

export async function runHooks(
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
    const sql = compileTemplate(node.rawCode, `${nodeFile(node)} (${kind}[${node.hook.index}])`)
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
