import type { NodeLookup } from '../compile/context.ts';
import type { DbtNode, RefCall } from '../manifest/types.ts';
import { nodeDict } from './node-dict.ts';

/** How Jinja finds nodes: ref() by name (and package), source() by source and table, graph by id. */
export function createLookup(nodes: Map<string, DbtNode>, rootPackage: string): NodeLookup {
  let byName: Map<string, DbtNode[]> | undefined;
  let sources: Map<string, DbtNode> | undefined;
  let graph: Record<string, unknown> | undefined;
  const index = () => {
    if (!byName || byName.size === 0) {
      byName = new Map();
      sources = new Map();
      for (const node of nodes.values()) {
        if (node.resourceType === 'model' || node.resourceType === 'seed' || node.resourceType === 'snapshot')
          byName.set(node.name, [...(byName.get(node.name) ?? []), node]);
        if (node.resourceType === 'source') sources.set(`${node.sourceName}.${node.name}`, node);
      }
    }
    return { byName: byName!, sources: sources! };
  };
  return {
    node: (uniqueId) => nodes.get(uniqueId),
    ref(call: RefCall) {
      const candidates = index().byName.get(call.name) ?? [];
      return (
        candidates.find(
          (node) => !call.package || node.packageName === call.package || call.package === rootPackage,
        ) ?? undefined
      );
    },
    source(sourceName, tableName) {
      return index().sources.get(`${sourceName}.${tableName}`);
    },
    graph() {
      graph ??= {
        nodes: Object.fromEntries(
          [...nodes.values()]
            .filter((n) => n.resourceType !== 'source')
            .map((n) => [n.uniqueId, nodeDict(n)]),
        ),
        sources: Object.fromEntries(
          [...nodes.values()]
            .filter((n) => n.resourceType === 'source')
            .map((n) => [n.uniqueId, nodeDict(n)]),
        ),
        exposures: {},
        metrics: {},
      };
      return graph;
    },
    nodeDict,
  };
}
