import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { type Catalog, catalogRelations, readCatalog } from './catalog.ts';
import { buildDocsData, type Manifest } from './docs-data.ts';
import { renderSite } from './site.ts';

/**
 * `dema docs generate` after the compile: target/manifest.json (already written) + the warehouse's
 * system tables → target/catalog.json and target/index.html. Each file is written beside its final
 * name and renamed, so a reader never sees half a file.
 */

export interface DocsResult {
  readonly catalogPath: string;
  readonly sitePath: string;
  readonly nodes: number;
  readonly catalogued: number;
}

export async function generateDocs(options: {
  readonly targetDir: string;
  readonly warehouse: Warehouse | undefined;
  readonly defaultSchema: string;
  readonly invocationId: string;
}): Promise<DocsResult> {
  const manifest = JSON.parse(readFileSync(join(options.targetDir, 'manifest.json'), 'utf8')) as Manifest;
  const metadata = {
    dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json',
    dbt_version: '1.10.0',
    generated_at: new Date().toISOString(),
    invocation_id: options.invocationId,
    env: {},
  };
  const relations = catalogRelations([
    ...Object.values(manifest.nodes),
    ...Object.values(manifest.sources ?? {}),
  ]);
  const catalog: Catalog = options.warehouse
    ? await readCatalog(options.warehouse, relations, metadata)
    : { metadata, nodes: {}, sources: {}, errors: null };
  const data = buildDocsData(manifest, catalog, options.defaultSchema);
  mkdirSync(options.targetDir, { recursive: true });
  const catalogPath = join(options.targetDir, 'catalog.json');
  const sitePath = join(options.targetDir, 'index.html');
  writeAtomically(catalogPath, JSON.stringify(catalog, null, 1));
  writeAtomically(sitePath, renderSite(data));
  return {
    catalogPath,
    sitePath,
    nodes: data.nodes.length,
    catalogued: Object.keys(catalog.nodes).length + Object.keys(catalog.sources).length,
  };
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
