import type { NodeIdentity, NodeLookup } from '../compile/context.ts';
import type { DbtNode, RefCall } from '../manifest/types.ts';
import { nodeDict } from './node-dict.ts';

/**
 * How Jinja finds nodes: ref() by name (and package), source() by source and table, graph by id.
 *
 * A ref or source without a package is searched as dbt-core's `_packages_to_search` does: from a
 * root-project node, the root project then any package; from a package's node, the root project,
 * then the node's own package, then any package — or the node's package first when the root
 * project sets the flag `require_ref_searches_node_package_before_root` (dbt 1.11).
 * "Any package" is the first one parsed (the root project, then packages by name), as in dbt.
 */

export interface LookupOptions {
  readonly nodePackageFirst?: boolean;
}

const REFABLE = new Set(['model', 'seed', 'snapshot']);

export function createLookup(
  nodes: Map<string, DbtNode>,
  rootPackage: string,
  options: LookupOptions = {},
): NodeLookup {
  let byName: Map<string, DbtNode[]> | undefined;
  let sources: Map<string, DbtNode[]> | undefined;
  let graph: Record<string, unknown> | undefined;
  const index = () => {
    if (!byName || byName.size === 0) {
      byName = new Map();
      sources = new Map();
      for (const node of nodes.values()) {
        if (REFABLE.has(node.resourceType)) byName.set(node.name, [...(byName.get(node.name) ?? []), node]);
        if (node.resourceType === 'source') {
          const key = `${node.sourceName}.${node.name}`;
          sources.set(key, [...(sources.get(key) ?? []), node]);
        }
      }
    }
    return { byName: byName!, sources: sources! };
  };
  const search = (from: string | undefined): (string | undefined)[] => {
    if (!from || from === rootPackage) return [rootPackage, undefined];
    return options.nodePackageFirst ? [from, rootPackage, undefined] : [rootPackage, from, undefined];
  };
  const pick = (candidates: readonly DbtNode[], target: string | undefined, from: string | undefined) => {
    const order = target !== undefined ? [target] : search(from);
    for (const packageName of order) {
      const found =
        packageName === undefined ? candidates[0] : candidates.find((n) => n.packageName === packageName);
      if (found) return found;
    }
    return undefined;
  };
  return {
    node: (uniqueId) => nodes.get(uniqueId),
    ref(call: RefCall, from?: Pick<NodeIdentity, 'packageName'>) {
      return pick(index().byName.get(call.name) ?? [], call.package, from?.packageName);
    },
    source(sourceName, tableName, from) {
      return pick(index().sources.get(`${sourceName}.${tableName}`) ?? [], undefined, from?.packageName);
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
