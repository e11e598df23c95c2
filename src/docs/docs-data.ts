import {
  type Catalog,
  type CatalogTable,
  catalogRelations,
  type ManifestRelation,
  tableOf,
} from './catalog.ts';
import { type ColumnOrigin, columnLineage } from './column-lineage.ts';

/**
 * The data the docs page embeds: manifest + catalog joined into one compact list of nodes (parents
 * as indexes, columns with types, descriptions, tests and lineage), so the page parses one JSON
 * document and never joins anything itself.
 */

interface ManifestNode extends ManifestRelation {
  readonly package_name?: string;
  readonly original_file_path?: string;
  readonly description?: string;
  readonly tags?: string[];
  readonly relation_name?: string | null;
  readonly raw_code?: string;
  readonly compiled_code?: string;
  readonly macro_sql?: string;
  readonly depends_on?: { nodes?: string[] };
  readonly columns?: Record<string, { name: string; description?: string; data_type?: string | null }>;
  readonly test_metadata?: { name: string; namespace?: string | null };
  readonly column_name?: string | null;
  readonly attached_node?: string | null;
  readonly source_name?: string;
  readonly label?: string;
  readonly config?: { materialized?: string; severity?: string };
}

export interface Manifest {
  readonly metadata?: { project_name?: string; generated_at?: string };
  readonly nodes: Record<string, ManifestNode>;
  readonly sources?: Record<string, ManifestNode>;
  readonly macros?: Record<string, ManifestNode>;
  readonly exposures?: Record<string, ManifestNode>;
  readonly docs?: Record<string, { name: string; block_contents: string }>;
}

export interface DocColumn {
  readonly name: string;
  readonly type: string;
  readonly desc: string;
  readonly tests: string[];
  /** Lineage: [node index, column, 1 if a plain copy else 0]. */
  readonly from: [number, string, number][];
}

export interface DocNode {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly pkg: string;
  readonly path: string;
  readonly desc: string;
  readonly mat: string;
  readonly relation: string;
  readonly tags: string[];
  readonly raw: string;
  readonly compiled: string;
  parents: number[];
  columns: DocColumn[];
  readonly stats: Record<string, string | number>;
}

export interface DocsData {
  readonly project: string;
  readonly generatedAt: string;
  readonly overview: string;
  readonly nodes: DocNode[];
}

function allNodes(manifest: Manifest): ManifestNode[] {
  return [
    ...Object.values(manifest.nodes),
    ...Object.values(manifest.sources ?? {}),
    ...Object.values(manifest.exposures ?? {}),
    ...Object.values(manifest.macros ?? {}),
  ];
}

function displayName(node: ManifestNode): string {
  if (node.resource_type === 'source') return `${node.source_name}.${node.name}`;
  return node.label ?? node.name;
}

function stats(table: CatalogTable | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (table?.stats.row_count) out.rows = Number(table.stats.row_count.value);
  if (table?.stats.bytes) out.bytes = Number(table.stats.bytes.value);
  if (table?.stats.last_modified) out.modified = String(table.stats.last_modified.value);
  return out;
}

/** Generic tests per (node, column), named as a reader knows them: `unique`, `dbt_utils.accepted_range`. */
function testsByColumn(nodes: readonly ManifestNode[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const test of nodes) {
    if (test.resource_type !== 'test') continue;
    const on = test.attached_node ?? test.depends_on?.nodes?.at(-1);
    if (!on) continue;
    const label = test.test_metadata
      ? `${test.test_metadata.namespace ? `${test.test_metadata.namespace}.` : ''}${test.test_metadata.name}`
      : test.name;
    const key = `${on}\u0000${(test.column_name ?? '').toLowerCase()}`;
    out.set(key, [...(out.get(key) ?? []), label]);
  }
  return out;
}

/** Parents before children, so a model's `*` can expand to what lineage derived for its parent. */
function dependencyOrder(nodes: readonly ManifestNode[]): ManifestNode[] {
  const byId = new Map(nodes.map((n) => [n.unique_id, n]));
  const done = new Set<string>();
  const order: ManifestNode[] = [];
  const visit = (root: ManifestNode) => {
    const stack: [ManifestNode, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const parents = top[0].depends_on?.nodes ?? [];
      if (top[1] < parents.length) {
        const parent = byId.get(parents[top[1]++]!);
        if (parent && !done.has(parent.unique_id)) stack.push([parent, 0]);
        continue;
      }
      stack.pop();
      if (!done.has(top[0].unique_id)) {
        done.add(top[0].unique_id);
        order.push(top[0]);
      }
    }
  };
  for (const node of nodes) visit(node);
  return order;
}

/** Column lineage of every model, from its compiled SQL (raw SQL when it was not compiled). */
export function modelLineage(
  manifest: Manifest,
  catalog: Catalog,
  defaultSchema: string,
): Map<string, Map<string, ColumnOrigin[]>> {
  const relations = catalogRelations([
    ...Object.values(manifest.nodes),
    ...Object.values(manifest.sources ?? {}),
  ]);
  const byRelation = new Map(relations.map((r) => [`${r.schema}.${tableOf(r)}`, r.unique_id]));
  const result = new Map<string, Map<string, ColumnOrigin[]>>();
  const columnsOf = (id: string): readonly string[] | undefined => {
    const table = catalog.nodes[id] ?? catalog.sources[id];
    if (table)
      return Object.values(table.columns)
        .sort((a, b) => a.index - b.index)
        .map((c) => c.name);
    const derived = result.get(id);
    return derived && derived.size > 0 ? [...derived.keys()] : undefined;
  };
  const context = {
    resolveRelation: (schema: string | undefined, table: string) =>
      byRelation.get(`${schema ?? defaultSchema}.${table}`),
    columnsOf,
  };
  for (const node of dependencyOrder(Object.values(manifest.nodes))) {
    if (node.resource_type !== 'model' && node.resource_type !== 'snapshot') continue;
    const sql = node.compiled_code ?? node.raw_code;
    if (sql) result.set(node.unique_id, columnLineage(sql, context));
  }
  return result;
}

export function buildDocsData(manifest: Manifest, catalog: Catalog, defaultSchema: string): DocsData {
  const nodes = allNodes(manifest);
  const index = new Map(nodes.map((n, i) => [n.unique_id, i]));
  const tests = testsByColumn(nodes);
  const lineage = modelLineage(manifest, catalog, defaultSchema);
  const docs: DocNode[] = nodes.map((node) => {
    const table = catalog.nodes[node.unique_id] ?? catalog.sources[node.unique_id];
    const declared = new Map(Object.values(node.columns ?? {}).map((c) => [c.name.toLowerCase(), c]));
    const lineageOf = lineage.get(node.unique_id);
    const names = table
      ? Object.values(table.columns)
          .sort((a, b) => a.index - b.index)
          .map((c) => c.name)
      : [...(lineageOf?.keys() ?? [])];
    for (const c of declared.values())
      if (!names.some((n) => n.toLowerCase() === c.name.toLowerCase())) names.push(c.name);
    const columns = names.map((name): DocColumn => {
      const spec = declared.get(name.toLowerCase());
      return {
        name,
        type: table?.columns[name]?.type ?? spec?.data_type ?? '',
        desc: spec?.description ?? table?.columns[name]?.comment ?? '',
        tests: tests.get(`${node.unique_id}\u0000${name.toLowerCase()}`) ?? [],
        from: (lineageOf?.get(name) ?? [])
          .filter((o) => index.has(o.node))
          .map((o) => [index.get(o.node)!, o.column, o.direct ? 1 : 0]),
      };
    });
    return {
      id: node.unique_id,
      type: node.resource_type,
      name: displayName(node),
      pkg: node.package_name ?? '',
      path: node.original_file_path ?? '',
      desc: node.description ?? '',
      mat: node.config?.materialized ?? '',
      relation: node.relation_name ?? '',
      tags: node.tags ?? [],
      raw: node.raw_code ?? node.macro_sql ?? '',
      compiled: node.compiled_code ?? '',
      parents: (node.depends_on?.nodes ?? []).filter((p) => index.has(p)).map((p) => index.get(p)!),
      columns,
      stats: stats(table),
    };
  });
  const overview = Object.values(manifest.docs ?? {}).find((d) => d.name === '__overview__');
  return {
    project: manifest.metadata?.project_name ?? '',
    generatedAt: manifest.metadata?.generated_at ?? '',
    overview: overview?.block_contents ?? '',
    nodes: docs,
  };
}
