import { DemaError } from '../../errors.ts';

/** The minimum a node must expose to be placed in the graph and selected. */
export interface GraphNode {
  readonly uniqueId: string;
  readonly name: string;
  readonly resourceType: 'model' | 'seed' | 'test' | 'source' | 'snapshot' | 'analysis' | 'operation';
  readonly packageName: string;
  readonly fqn: readonly string[];
  /** Path relative to the project root. */
  readonly originalFilePath: string;
  readonly tags: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly dependsOn: readonly string[];
  /** For tests: generic | singular. */
  readonly testType?: 'generic' | 'singular';
  /** For generic tests: the test macro's name (`not_null`, `expression_is_true`), without its namespace. */
  readonly test?: { readonly name: string; readonly namespace?: string };
  /** For sources: the source name. */
  readonly sourceName?: string;
}

export class Graph<N extends GraphNode = GraphNode> {
  readonly nodes: ReadonlyMap<string, N>;
  readonly parents: ReadonlyMap<string, readonly string[]>;
  readonly children: ReadonlyMap<string, readonly string[]>;

  constructor(nodes: readonly N[]) {
    const byId = new Map<string, N>();
    for (const node of nodes) byId.set(node.uniqueId, node);
    const parents = new Map<string, string[]>();
    const children = new Map<string, string[]>();
    for (const node of nodes) {
      parents.set(node.uniqueId, [...node.dependsOn]);
      if (!children.has(node.uniqueId)) children.set(node.uniqueId, []);
      for (const parent of node.dependsOn) {
        const list = children.get(parent) ?? [];
        list.push(node.uniqueId);
        children.set(parent, list);
      }
    }
    this.nodes = byId;
    this.parents = parents;
    this.children = children;
  }

  /** All nodes in dependency order; a cycle is an error that names it. */
  topologicalOrder(): string[] {
    const state = new Map<string, 'visiting' | 'done'>();
    const order: string[] = [];
    const stack: string[] = [];
    const visit = (id: string) => {
      const seen = state.get(id);
      if (seen === 'done') return;
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(id)), id].map((x) => this.nodes.get(x)?.name ?? x);
        throw new DemaError('GRAPH_CYCLE', `Found a cycle: ${cycle.join(' → ')}`, {
          hint: 'Remove one of these ref()s so the models form a DAG.',
        });
      }
      state.set(id, 'visiting');
      stack.push(id);
      for (const parent of this.parents.get(id) ?? []) if (this.nodes.has(parent)) visit(parent);
      stack.pop();
      state.set(id, 'done');
      order.push(id);
    };
    for (const id of [...this.nodes.keys()].sort()) visit(id);
    return order;
  }

  /** Ancestors (direction 'parents') or descendants ('children') up to `depth` steps (Infinity: all). */
  walk(start: string, direction: 'parents' | 'children', depth = Number.POSITIVE_INFINITY): Set<string> {
    const edges = direction === 'parents' ? this.parents : this.children;
    const found = new Set<string>();
    let frontier = [start];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const next: string[] = [];
      for (const id of frontier)
        for (const other of edges.get(id) ?? [])
          if (!found.has(other) && this.nodes.has(other)) {
            found.add(other);
            next.push(other);
          }
      frontier = next;
    }
    return found;
  }
}
