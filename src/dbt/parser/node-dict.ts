import type { DbtNode } from '../manifest/types.ts';

/** A node as dbt exposes it to Jinja (`model`, `graph.nodes[…]`) and in manifest.json. */
export function nodeDict(node: DbtNode): Record<string, unknown> {
  return {
    unique_id: node.uniqueId,
    name: node.name,
    resource_type: node.resourceType,
    package_name: node.packageName,
    path: node.path,
    original_file_path: node.originalFilePath,
    fqn: node.fqn,
    alias: node.alias,
    schema: node.schema,
    database: '',
    identifier: node.alias,
    config: node.config,
    tags: node.tags,
    description: node.description,
    meta: node.meta,
    columns: Object.fromEntries(
      Object.values(node.columns).map((column) => [
        column.name,
        {
          name: column.name,
          description: column.description,
          meta: column.meta,
          data_type: column.dataType ?? null,
          tags: column.tags,
          constraints: [],
          quote: null,
        },
      ]),
    ),
    depends_on: { nodes: node.dependsOn, macros: node.macroCalls },
    refs: node.refs.map((ref) => ({ name: ref.name, package: ref.package ?? null, version: null })),
    sources: node.sourceRefs,
    raw_code: node.rawCode,
    checksum: { name: 'sha256', checksum: node.checksum },
    relation_name: node.relationName ?? null,
    patch_path: node.patchPath ?? null,
    ...(node.source
      ? {
          source_name: node.source.sourceName,
          identifier: node.source.identifier,
          loaded_at_field: node.source.loadedAtField ?? null,
          freshness: node.source.freshness ?? null,
          source_description: node.source.sourceDescription,
        }
      : {}),
    ...(node.test
      ? {
          test_metadata: {
            name: node.test.name,
            namespace: node.test.namespace ?? null,
            kwargs: node.test.kwargs,
          },
          column_name: node.test.columnName ?? null,
          attached_node: node.test.attachedNode ?? null,
        }
      : {}),
  };
}
