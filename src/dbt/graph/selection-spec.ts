import type { Graph, GraphNode } from './graph.ts';

/**
 * dbt's selection as a tree (core/dbt/graph/selector_spec.py, selector.py): criteria combined by
 * union, intersection and difference, each carrying its indirect-selection mode. The CLI's
 * `--select a b,c --exclude d` and a selectors.yml definition both become such a tree, so both
 * select the same nodes the same way.
 *
 * Invariant (as dbt's NodeSelector): every spec yields `direct` (the nodes selected) and
 * `indirect` (tests held back because only some of their parents were selected); a compound spec
 * combines its components' direct sets, combines their direct∪indirect sets, and then lets the
 * held-back tests in when its mode admits them against the combined direct set.
 */

export type IndirectSelection = 'eager' | 'cautious' | 'buildable' | 'empty';
export const INDIRECT_MODES: readonly IndirectSelection[] = ['eager', 'cautious', 'buildable', 'empty'];

export type SelectionSpec =
  | {
      readonly kind: 'criteria';
      /** CLI-syntax terms whose union is the matched set, graph operators included (`@x`, `2+x+1`). */
      readonly terms: readonly string[];
      readonly raw: string;
      readonly indirect: IndirectSelection;
    }
  | {
      readonly kind: 'union' | 'intersection' | 'difference';
      readonly components: readonly SelectionSpec[];
      readonly raw: string;
      readonly indirect: IndirectSelection;
      /** A --select term (or a whole selector) that selects nothing is dbt's NoNodesForSelectionCriteria. */
      readonly expectExists?: boolean;
    };

export interface SpecContext<N extends GraphNode> {
  readonly graph: Graph<N>;
  /** One CLI term's nodes (the method matched, then its graph operators). */
  readonly term: (term: string) => Set<string>;
  /** Called for each spec with expectExists that selected nothing. */
  readonly onNothing?: (raw: string) => void;
}

interface Selected {
  readonly direct: Set<string>;
  readonly indirect: Set<string>;
}

const isSubset = (items: readonly string[], of: ReadonlySet<string>) => items.every((id) => of.has(id));

function ancestorsOf<N extends GraphNode>(graph: Graph<N>, ids: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  for (const id of ids) for (const parent of graph.walk(id, 'parents')) found.add(parent);
  return found;
}

/** dbt's expand_selection: the tests one step downstream of the selection, by mode. */
function expand<N extends GraphNode>(
  graph: Graph<N>,
  selected: Set<string>,
  mode: IndirectSelection,
): Selected {
  const direct = new Set(selected);
  const indirect = new Set<string>();
  if (mode === 'empty') return { direct, indirect };
  let buildable: Set<string> | undefined;
  if (mode === 'buildable') {
    buildable = new Set([...selected, ...ancestorsOf(graph, selected)]);
    for (const node of graph.nodes.values()) if (node.resourceType === 'source') buildable.add(node.uniqueId);
  }
  for (const id of selected)
    for (const childId of graph.children.get(id) ?? []) {
      const child = graph.nodes.get(childId);
      if (child?.resourceType !== 'test' || direct.has(childId)) continue;
      if (mode === 'eager' || isSubset(child.dependsOn, selected)) direct.add(childId);
      else if (buildable && isSubset(child.dependsOn, buildable)) direct.add(childId);
      else indirect.add(childId);
    }
  return { direct, indirect };
}

/** dbt's incorporate_indirect_nodes: held-back tests whose parents the combined selection now has. */
function incorporate<N extends GraphNode>(
  graph: Graph<N>,
  direct: Set<string>,
  indirect: Set<string>,
  mode: IndirectSelection,
): Set<string> {
  const selected = new Set(direct);
  if (mode !== 'cautious' && mode !== 'buildable') return selected;
  const within = mode === 'cautious' ? direct : new Set([...direct, ...ancestorsOf(graph, direct)]);
  for (const id of indirect) {
    const node = graph.nodes.get(id);
    if (node && isSubset(node.dependsOn, within)) selected.add(id);
  }
  return selected;
}

function combine(kind: 'union' | 'intersection' | 'difference', sets: Set<string>[]): Set<string> {
  if (sets.length === 0) return new Set();
  const [first, ...rest] = sets as [Set<string>, ...Set<string>[]];
  if (kind === 'union') return new Set(sets.flatMap((set) => [...set]));
  if (kind === 'intersection') return new Set([...first].filter((id) => rest.every((set) => set.has(id))));
  return new Set([...first].filter((id) => !rest.some((set) => set.has(id))));
}

function evaluate<N extends GraphNode>(spec: SelectionSpec, context: SpecContext<N>): Selected {
  if (spec.kind === 'criteria') {
    const matched = new Set<string>();
    for (const term of spec.terms) for (const id of context.term(term)) matched.add(id);
    return expand(context.graph, matched, spec.indirect);
  }
  const parts = spec.components.map((component) => evaluate(component, context));
  const initial = combine(
    spec.kind,
    parts.map((part) => part.direct),
  );
  const indirect = combine(
    spec.kind,
    parts.map((part) => new Set([...part.direct, ...part.indirect])),
  );
  const direct = incorporate(context.graph, initial, indirect, spec.indirect);
  if (spec.expectExists && direct.size === 0) context.onNothing?.(spec.raw);
  return { direct, indirect };
}

/** The unique ids a spec selects (before resource-type filtering, which the command applies). */
export function selectSpec<N extends GraphNode>(spec: SelectionSpec, context: SpecContext<N>): Set<string> {
  return evaluate(spec, context).direct;
}

/**
 * dbt's parse_difference: `--select` terms (space = union, comma = intersection) minus the
 * `--exclude` terms; no --select means every node (`fqn:* source:* exposure:*`).
 */
export function cliSpec(
  select: readonly string[],
  exclude: readonly string[],
  indirect: IndirectSelection,
): SelectionSpec {
  const union = (
    specs: readonly string[],
    expectExists: boolean,
    indirect: IndirectSelection,
  ): SelectionSpec => ({
    kind: 'union',
    raw: specs.join(' '),
    indirect,
    components: specs
      .flatMap((spec) => spec.split(/\s+/))
      .filter(Boolean)
      .map((term) => ({
        kind: 'intersection',
        raw: term,
        indirect,
        expectExists,
        components: term
          .split(',')
          .filter(Boolean)
          .map((part) => ({ kind: 'criteria', terms: [part], raw: part, indirect })),
      })),
  });
  const included: SelectionSpec =
    select.length > 0
      ? union(select, true, indirect)
      : { kind: 'criteria', terms: ['fqn:*'], raw: 'fqn:*', indirect };
  // As dbt's parse_difference: exclusions are always eager, so excluding a model excludes every
  // test that touches it, whatever the mode.
  return {
    kind: 'difference',
    raw: '',
    indirect: 'eager',
    components: [included, union(exclude, false, 'eager')],
  };
}
