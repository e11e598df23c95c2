import { DemaError } from '../../errors.ts';
import { editDistance } from '../edit-distance.ts';
import type { Graph, GraphNode } from './graph.ts';
import { cliSpec, type IndirectSelection, type SelectionSpec, selectSpec } from './selection-spec.ts';

/**
 * dbt's node selection: space-separated specs are a union, commas inside a spec an intersection,
 * `--exclude` a difference. One spec: `[@][n+]method:value[+n]` (dbt-semantics.md §4).
 */

const SPEC = /^(@)?(?:(\d*)\+)?(?:([a-z_]+(?:\.[a-z_]+)*):)?(.+?)(?:\+(\d*))?$/;

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function matchesFqn(node: GraphNode, value: string): boolean {
  if (node.name === value) return true;
  const pattern = value.split('.');
  const tryMatch = (fqn: readonly string[]) =>
    pattern.length <= fqn.length && pattern.every((part, i) => globToRegExp(part).test(fqn[i]!));
  // As dbt's fqn method: the value, dotted or not, matches as a prefix of the FQN, with or without
  // the package name — so `--select my_package` selects a package and `--select staging` a folder.
  return tryMatch(node.fqn) || tryMatch(node.fqn.slice(1));
}

function matchesPath(node: GraphNode, value: string): boolean {
  const path = value.replace(/^\.\//, '').replace(/\/$/, '');
  if (/[*?]/.test(path)) return globToRegExp(path).test(node.originalFilePath);
  return node.originalFilePath === path || node.originalFilePath.startsWith(`${path}/`);
}

/**
 * Selector methods that need more than the graph: `state:` and `result:` read the --state
 * artifacts (dbt/state/). Absent when the command has no --state.
 */
export type ExtraMethods = Readonly<Record<string, (value: string) => (node: GraphNode) => boolean>>;

function methodMatcher(
  method: string,
  value: string,
  extra: ExtraMethods = {},
): (node: GraphNode) => boolean {
  const provided = extra[method];
  if (provided) return provided(value);
  if (method === 'state' || method === 'result')
    throw new DemaError(
      'USAGE',
      method === 'state'
        ? `"state:${value}": got a state selector method, but no comparison manifest.`
        : `"result:${value}": got a result selector method, but no comparison run_results.`,
      {
        hint: `Pass --state DIR (or set DBT_STATE), DIR holding ${method === 'state' ? 'manifest.json' : 'run_results.json'} of an earlier run.`,
      },
    );
  if (method === 'fqn') return (node) => value === '*' || matchesFqn(node, value);
  if (method === 'tag') return (node) => node.tags.some((tag) => globToRegExp(value).test(tag));
  if (method === 'path') return (node) => matchesPath(node, value);
  if (method === 'file')
    return (node) => {
      const file = node.originalFilePath.split('/').at(-1)!;
      return file === value || file.replace(/\.\w+$/, '') === value;
    };
  if (method === 'resource_type') return (node) => node.resourceType === value;
  if (method === 'package') return (node) => node.packageName === value;
  if (method === 'test_type')
    return (node) => node.resourceType === 'test' && (value === 'data' || node.testType === value);
  // dbt's test_name: fnmatch on test_metadata.name; only generic tests have one.
  if (method === 'test_name')
    return (node) =>
      node.resourceType === 'test' && node.test !== undefined && globToRegExp(value).test(node.test.name);
  if (method === 'source')
    return (node) =>
      node.resourceType === 'source' &&
      [
        node.sourceName,
        `${node.sourceName}.${node.name}`,
        `${node.packageName}.${node.sourceName}.${node.name}`,
      ].some((v) => v === value || globToRegExp(value).test(v ?? ''));
  if (method.startsWith('config.')) {
    const key = method.slice('config.'.length);
    return (node) => {
      const configured = node.config[key];
      return Array.isArray(configured)
        ? configured.map(String).includes(value)
        : String(configured) === value;
    };
  }
  throw new DemaError('SELECT_INVALID', `Unknown selection method "${method}:".`, {
    hint: 'Supported: fqn, tag, path, file, source, resource_type, package, test_type, test_name, config.<key>, state, result.',
  });
}

function defaultMethod(value: string): string {
  if (value.includes('/')) return 'path';
  if (/\.(sql|csv|py)$/.test(value)) return 'file';
  return 'fqn';
}

export function selectOne<N extends GraphNode>(
  graph: Graph<N>,
  spec: string,
  extra?: ExtraMethods,
): Set<string> {
  const match = SPEC.exec(spec);
  if (!match)
    throw new DemaError('SELECT_INVALID', `Cannot parse selector "${spec}".`, {
      hint: 'e.g. +stg_orders, tag:finance, path:models/marts',
    });
  const [, at, parentsDepth, method, value, childrenDepth] = match;
  if (at && childrenDepth !== undefined)
    throw new DemaError('SELECT_INVALID', `"${spec}": @ cannot be combined with a trailing +.`);
  const matcher = methodMatcher(method ?? defaultMethod(value!), value!, extra);
  const selected = new Set<string>();
  for (const node of graph.nodes.values()) if (matcher(node)) selected.add(node.uniqueId);
  const depth = (digits: string | undefined) => (digits ? Number(digits) : Number.POSITIVE_INFINITY);
  const result = new Set(selected);
  for (const id of selected) {
    if (parentsDepth !== undefined)
      for (const p of graph.walk(id, 'parents', depth(parentsDepth))) result.add(p);
    if (childrenDepth !== undefined || at)
      for (const c of graph.walk(id, 'children', depth(childrenDepth))) result.add(c);
  }
  if (at) for (const id of [...result]) for (const p of graph.walk(id, 'parents')) result.add(p);
  return result;
}

export interface Selection {
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  /** --indirect-selection (default eager): which tests a selection takes with their parents. */
  readonly indirectSelection?: IndirectSelection;
  /** A selectors.yml definition (--selector, or the default one): used instead of select/exclude. */
  readonly spec?: SelectionSpec;
  /** Called with each --select term (or selector) that selects nothing (NoNodesForSelectionCriteria). */
  readonly onNothing?: (raw: string) => void;
  /** `state:` / `result:` when the command has --state. */
  readonly methods?: ExtraMethods;
  /**
   * Exactly these nodes (`dema retry`: the previous run's failures), nothing selected indirectly;
   * replaces `select`, `exclude` still applies.
   */
  readonly uniqueIds?: ReadonlySet<string>;
}

/**
 * The selected node ids, as dbt's NodeSelector selects them (selection-spec.ts): with no --select
 * everything; tests taken with their parents by the indirect-selection mode, and excluded with them.
 */
export function selectNodes<N extends GraphNode>(graph: Graph<N>, selection: Selection): Set<string> {
  const term = (text: string) => selectOne(graph, text, selection.methods);
  if (selection.uniqueIds) {
    const exact = new Set([...selection.uniqueIds].filter((id) => graph.nodes.has(id)));
    if (selection.exclude.length > 0)
      for (const id of selectSpec(cliSpec(selection.exclude, [], 'eager'), { graph, term })) exact.delete(id);
    return exact;
  }
  const spec =
    selection.spec ?? cliSpec(selection.select, selection.exclude, selection.indirectSelection ?? 'eager');
  return selectSpec(spec, {
    graph,
    term,
    ...(selection.onNothing ? { onNothing: selection.onNothing } : {}),
  });
}

function candidates<N extends GraphNode>(graph: Graph<N>, method: string): string[] {
  const nodes = [...graph.nodes.values()];
  if (method === 'state' || method === 'result') return [];
  if (method === 'tag') return nodes.flatMap((node) => node.tags);
  if (method === 'path' || method === 'file') return nodes.map((node) => node.originalFilePath);
  return nodes.filter((node) => node.resourceType !== 'test').map((node) => node.name);
}

/**
 * The selector terms that match no node, with the nearest names (at most 3, by edit distance), so
 * the CLI can warn as dbt does ("does not match any enabled nodes") instead of silently running nothing.
 */
export function unmatchedSelectors<N extends GraphNode>(
  graph: Graph<N>,
  specs: readonly string[],
  methods?: ExtraMethods,
): { spec: string; suggestions: string[] }[] {
  const unmatched: { spec: string; suggestions: string[] }[] = [];
  for (const term of specs.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    if (selectOne(graph, term, methods).size > 0) continue;
    const [, , , method, value] = SPEC.exec(term)!;
    const wanted = value!.toLowerCase();
    const limit = Math.max(2, Math.floor(wanted.length / 3));
    const near = [...new Set(candidates(graph, method ?? defaultMethod(value!)))]
      .map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }))
      .filter((c) => c.distance <= limit)
      .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
    unmatched.push({ spec: term, suggestions: near.slice(0, 3).map((c) => c.name) });
  }
  return unmatched;
}
