import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { ProjectContext } from '../compile/context.ts';
import { RelationCache } from '../compile/relation-cache.ts';
import type { ParsedProject } from '../parser/parse-project.ts';

/**
 * The project's context for rendering at execute time outside a run (run-operation, show): the
 * warehouse attached and what exists in every schema the project's nodes use already looked up.
 */
export async function executeContext(
  parsed: ParsedProject,
  warehouse: Warehouse,
  which: string,
  invocationId: string,
  log: ProjectContext['log'] = parsed.context.log,
): Promise<ProjectContext> {
  const cache = new RelationCache(warehouse);
  const schemas = new Set([String(parsed.context.target.schema ?? '')]);
  for (const node of parsed.manifest.nodes.values()) if (node.schema) schemas.add(node.schema);
  await cache.load(schemas);
  return {
    ...parsed.context,
    log,
    invocationId,
    flags: { FULL_REFRESH: false, WHICH: which, STORE_FAILURES: false },
    runtime: { warehouse, cache },
  };
}
