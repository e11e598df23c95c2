import { DemaError } from '../../errors.ts';
import type { DbtNode, Exposure } from '../manifest/types.ts';
import type { ExposureSpec } from './schema-yaml.ts';

/**
 * dbt's exposures (schema YAML `exposures:`): documented downstream uses of models — dashboards,
 * notebooks, applications. They are never run; they appear in the manifest, its parent/child maps
 * and the docs site. `depends_on` entries are `ref('m')`, `ref('pkg', 'm')` or `source('s', 't')`.
 */

const CALL = /^\s*(ref|source)\(\s*(['"])([^'"]+)\2\s*(?:,\s*(['"])([^'"]+)\4\s*)?\)\s*$/;

function dependency(text: string, nodes: readonly DbtNode[], where: string): string {
  const match = CALL.exec(text);
  if (!match)
    throw new DemaError(
      'PARSE_YAML',
      `${where}: depends_on entry "${text}" is not ref('…') or source('…', '…').`,
      {
        hint: "Write each dependency as ref('model'), ref('package', 'model') or source('source', 'table').",
      },
    );
  const [, fn, , first, , second] = match;
  const found =
    fn === 'source'
      ? nodes.find((n) => n.resourceType === 'source' && n.sourceName === first && n.name === second)
      : nodes.find(
          (n) =>
            (n.resourceType === 'model' || n.resourceType === 'seed' || n.resourceType === 'snapshot') &&
            (second === undefined ? n.name === first : n.packageName === first && n.name === second),
        );
  if (!found)
    throw new DemaError(
      'REF_NOT_FOUND',
      `${where}: the exposure depends on ${text}, which is not in the project.`,
      {
        hint: 'Check the name, or remove the dependency.',
      },
    );
  return found.uniqueId;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export function resolveExposures(
  specs: readonly ExposureSpec[],
  nodes: ReadonlyMap<string, DbtNode>,
  packageName: string,
  /** The YAML path as the manifest records it (a package's: relative to the package). */
  recordedPath: (file: string) => string = (file) => file,
): Map<string, Exposure> {
  const all = [...nodes.values()];
  const exposures = new Map<string, Exposure>();
  for (const spec of specs) {
    const where = `${spec.file}:${spec.lineOf() ?? 1}`;
    const { entry } = spec;
    const name = text(entry.name);
    if (!name)
      throw new DemaError('PARSE_YAML', `${where}: an exposure without a name.`, {
        hint: 'Add name: <identifier>.',
      });
    const uniqueId = `exposure.${packageName}.${name}`;
    if (exposures.has(uniqueId))
      throw new DemaError('PARSE_YAML', `${where}: exposure "${name}" is defined twice.`, {
        hint: 'Give each exposure its own name.',
      });
    const owner = (entry.owner ?? {}) as Record<string, unknown>;
    exposures.set(uniqueId, {
      uniqueId,
      name,
      packageName,
      type: text(entry.type) ?? 'dashboard',
      label: text(entry.label),
      maturity: text(entry.maturity),
      url: text(entry.url),
      description: text(entry.description) ?? '',
      owner: {
        ...(text(owner.name) ? { name: text(owner.name) } : {}),
        ...(text(owner.email) ? { email: text(owner.email) } : {}),
      },
      tags: list(entry.tags).map(String),
      meta: (entry.meta ?? {}) as Record<string, unknown>,
      dependsOn: [...new Set(list(entry.depends_on).map((d) => dependency(String(d), all, where)))],
      path: recordedPath(spec.file),
    });
  }
  return exposures;
}

/** An exposure as dbt writes it in manifest.json. */
export function exposureDict(exposure: Exposure): Record<string, unknown> {
  return {
    unique_id: exposure.uniqueId,
    resource_type: 'exposure',
    name: exposure.name,
    package_name: exposure.packageName,
    path: exposure.path,
    original_file_path: exposure.path,
    fqn: [exposure.packageName, exposure.name],
    type: exposure.type,
    label: exposure.label ?? null,
    maturity: exposure.maturity ?? null,
    url: exposure.url ?? null,
    description: exposure.description,
    owner: { name: exposure.owner.name ?? null, email: exposure.owner.email ?? null },
    tags: exposure.tags,
    meta: exposure.meta,
    config: { enabled: true, tags: exposure.tags, meta: exposure.meta },
    depends_on: { macros: [], nodes: exposure.dependsOn },
    refs: [],
    sources: [],
    metrics: [],
  };
}
