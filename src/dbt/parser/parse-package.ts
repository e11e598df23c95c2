import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import { identityOf } from '../compile/compile-node.ts';
import { createScope, newRenderState, type ProjectContext } from '../compile/context.ts';
import { atLazyLine } from '../compile/lazy-line.ts';
import { compileTemplate } from '../jinja/environment.ts';
import type { DbtNode, DocBlock, UnitTestRef } from '../manifest/types.ts';
import { configForFqn, mergeConfig, type NodeConfig } from '../project/config-tree.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import { readYamlFile } from '../project/yaml-file.ts';
import { applyConfig, baseNode, MODEL_DEFAULTS, SEED_DEFAULTS } from './base-node.ts';
import { listFiles } from './files.ts';
import { below, fqnFor, nodeFile, stem } from './names.ts';
import type { ParseUnit } from './packages.ts';
import { renderPatchConfigs } from './render-project.ts';
import { type NodePatch, type PropertyFiles, readPropertyFiles } from './schema-yaml.ts';
import { parseSnapshots } from './snapshots.ts';
import { applySourceOverrides, type SourceOverride, takeSourceOverrides } from './source-overrides.ts';
import { checkUnsupportedFiles, checkUnsupportedYaml, unitTestsIn } from './unsupported.ts';

/**
 * The models, seeds and sources of one parse unit — the root project or an installed package —
 * as dbt parses every project of the invocation: ids and FQNs under the unit's own name, paths in
 * the manifest relative to the unit, configs from the unit's dbt_project.yml tree, its YAML, the
 * file's config() and, for a package, the root project's tree last (dbt-semantics.md §1.2).
 */

export interface ParseShared {
  /** The root project (rendered): its trees override a package's configs. */
  readonly root: DbtProjectFile;
  readonly context: ProjectContext;
  readonly targetSchema: string;
  readonly nodes: Map<string, DbtNode>;
  /** Docs blocks keyed `<package>.<name>`. */
  readonly docs: ReadonlyMap<string, DocBlock>;
  /** The root project's source `overrides:`, by package (filled when the root is parsed, first). */
  readonly sourceOverrides: Map<string, Map<string, SourceOverride>>;
  /** Models and seeds left out by `enabled: false`, by name: a ref to one says so. */
  readonly disabled: Map<string, string>;
}

export type TreeKind = 'models' | 'seeds' | 'snapshots' | 'sources' | 'tests' | 'analyses';

/** A unit's own tree for an FQN, and what the root project's tree says over it (packages only). */
export function treeConfigs(
  unit: ParseUnit,
  root: DbtProjectFile,
  kind: TreeKind,
  fqn: readonly string[],
): { own: NodeConfig; rootOverride: NodeConfig } {
  return {
    own: configForFqn(unit.project.trees[kind], fqn),
    rootOverride: unit.label ? configForFqn(root.trees[kind], fqn) : {},
  };
}

/** A root-relative path of the unit as dbt records it: relative to the unit. */
export const ownPath = (unit: ParseUnit, path: string) =>
  unit.label && path.startsWith(`${unit.label}/`) ? path.slice(unit.label.length + 1) : path;

/** `{{ doc('x') }}` in a description: the root project's block, then the unit's, then any package's. */
export function docText(shared: ParseShared, unit: ParseUnit, text: string, where: string): string {
  return text.replace(/\{\{\s*doc\(\s*['"]([\w]+)['"]\s*\)\s*\}\}/g, (_, name: string) => {
    const doc =
      shared.docs.get(`${shared.root.name}.${name}`) ??
      shared.docs.get(`${unit.name}.${name}`) ??
      [...shared.docs.values()].find((block) => block.name === name);
    if (!doc)
      throw new DemaError('PARSE_PROJECT', `${where}: doc('${name}') is not defined.`, {
        hint: `Add {% docs ${name} %}…{% enddocs %} to a .md file.`,
      });
    return doc.contents;
  });
}

export interface UnitNodes {
  readonly properties: PropertyFiles;
  readonly modelStems: ReadonlySet<string>;
  readonly seedStems: ReadonlySet<string>;
  /** unit_tests: entries: not run, refused by the commands dbt runs them in. */
  readonly unitTests: readonly UnitTestRef[];
}

/** dbt's fqn: package, folders below the path root, name; analyses sit under "analysis". */
function nodeFqn(unit: ParseUnit, file: { relative: string; root: string }, resourceType: string): string[] {
  const fqn = fqnFor(unit.name, below(file.root, file.relative));
  return resourceType === 'analysis' ? [unit.name, 'analysis', ...fqn.slice(1)] : fqn;
}

/** A model, singular test or analysis: rendered once at parse time for its refs, sources and config() calls. */
export function parseSqlFile(
  unit: ParseUnit,
  shared: ParseShared,
  file: { absolute: string; relative: string; root: string },
  resourceType: 'model' | 'test' | 'analysis',
  config: NodeConfig,
) {
  const name = stem(file.relative);
  const rawCode = readFileSync(file.absolute, 'utf8');
  const node = baseNode({
    uniqueId: `${resourceType}.${unit.name}.${name}`,
    name,
    resourceType,
    packageName: unit.name,
    fqn: nodeFqn(unit, file, resourceType),
    originalFilePath: ownPath(unit, file.relative),
    path: below(file.root, file.relative),
    rawCode,
    ...(unit.label ? { packageDir: unit.label } : {}),
    ...(resourceType === 'test' ? { testType: 'singular' as const } : {}),
  });
  node.config = config;
  node.schema = shared.targetSchema;
  const state = newRenderState({ ...identityOf(node), node: undefined, draft: node }, false);
  compileTemplate(rawCode, file.relative).render(createScope(shared.context, state));
  node.refs = state.parse.refs;
  node.sourceRefs = state.parse.sources;
  return { node, captured: state.parse };
}

/**
 * A singular test or analysis with its final config: its project tree (under `kind`'s defaults),
 * the root's override for a package, then its own config() calls. Undefined when disabled.
 */
export function parseConfiguredSqlFile(
  unit: ParseUnit,
  shared: ParseShared,
  file: { absolute: string; relative: string; root: string },
  resourceType: 'test' | 'analysis',
  defaults: NodeConfig,
): DbtNode | undefined {
  const tree = resourceType === 'test' ? 'tests' : 'analyses';
  const { own, rootOverride } = treeConfigs(unit, shared.root, tree, nodeFqn(unit, file, resourceType));
  const projectConfig = mergeConfig(defaults, own);
  const draft = mergeConfig(projectConfig, rootOverride);
  const { node, captured } = parseSqlFile(unit, shared, file, resourceType, draft);
  applyConfig(node, projectConfig, {}, captured.config, rootOverride);
  return node.config.enabled === false ? undefined : node;
}

export function parseUnitNodes(unit: ParseUnit, shared: ParseShared): UnitNodes {
  const { project } = unit;
  const { nodes, targetSchema, context } = shared;
  let yamlFiles = listFiles(
    project.dir,
    [
      ...new Set([
        ...project.modelPaths,
        ...project.seedPaths,
        ...project.testPaths,
        ...project.macroPaths,
        ...project.snapshotPaths,
      ]),
    ],
    ['.yml', '.yaml'],
  ).map((file) => readYamlFile(file.absolute, file.relative));
  if (unit.label) yamlFiles = applySourceOverrides(yamlFiles, shared.sourceOverrides.get(unit.name));
  else {
    const taken = takeSourceOverrides(yamlFiles);
    yamlFiles = taken.files;
    for (const [packageName, byName] of taken.overrides) shared.sourceOverrides.set(packageName, byName);
  }
  checkUnsupportedYaml(yamlFiles);
  checkUnsupportedFiles(project);
  const properties = renderPatchConfigs(readPropertyFiles(yamlFiles), (patch) =>
    createScope(
      context,
      newRenderState(
        {
          uniqueId: `model.${unit.name}.${patch.name}`,
          name: patch.name,
          resourceType: 'model',
          packageName: unit.name,
          originalFilePath: ownPath(unit, patch.file),
          shownFile: patch.file,
          schema: targetSchema,
          alias: patch.name,
          config: {},
        },
        false,
      ),
    ),
  );
  const patched = (node: DbtNode, patch: NodePatch | undefined) => {
    if (!patch) return;
    node.description = docText(shared, unit, patch.description, patch.file);
    node.columns = Object.fromEntries(
      Object.entries(patch.columns).map(([name, column]) => [
        name,
        { ...column, description: docText(shared, unit, column.description, patch.file) },
      ]),
    );
    node.patchPath = `${unit.name}://${ownPath(unit, patch.file)}`;
  };

  // Models.
  const modelFiles = listFiles(project.dir, project.modelPaths, ['.sql']);
  for (const file of modelFiles) {
    const name = stem(file.relative);
    const fqn = fqnFor(unit.name, below(file.root, file.relative));
    const uniqueId = `model.${unit.name}.${name}`;
    const existing = nodes.get(uniqueId);
    if (existing)
      throw new DemaError(
        'PARSE_PROJECT',
        `Two models are named "${name}": ${existing.packageDir ? `${existing.packageDir}/` : ''}${existing.originalFilePath} and ${file.relative}.`,
        { hint: 'Model names must be unique within a project; rename one file.' },
      );
    const patch = properties.models.get(name);
    const { own, rootOverride } = treeConfigs(unit, shared.root, 'models', fqn);
    const projectConfig = mergeConfig(MODEL_DEFAULTS, own);
    const draft = mergeConfig(mergeConfig(projectConfig, patch?.config ?? {}), rootOverride);
    const { node, captured } = parseSqlFile(unit, shared, file, 'model', draft);
    applyConfig(node, projectConfig, patch?.config ?? {}, captured.config, rootOverride);
    if (node.config.enabled === false) {
      shared.disabled.set(name, uniqueId);
      continue;
    }
    patched(node, patch);
    nodes.set(uniqueId, node);
  }

  // Seeds.
  const seedFiles = listFiles(project.dir, project.seedPaths, ['.csv']);
  for (const file of seedFiles) {
    const name = stem(file.relative);
    const fqn = fqnFor(unit.name, below(file.root, file.relative));
    const uniqueId = `seed.${unit.name}.${name}`;
    const patch = properties.seeds.get(name);
    const node = baseNode({
      uniqueId,
      name,
      resourceType: 'seed',
      packageName: unit.name,
      fqn,
      originalFilePath: ownPath(unit, file.relative),
      path: below(file.root, file.relative),
      rawCode: '',
      checksum: createHash('sha256').update(readFileSync(file.absolute)).digest('hex'),
      seedFile: file.relative,
      ...(unit.label ? { packageDir: unit.label } : {}),
    });
    const { own, rootOverride } = treeConfigs(unit, shared.root, 'seeds', fqn);
    applyConfig(node, mergeConfig(SEED_DEFAULTS, own), patch?.config ?? {}, {}, rootOverride);
    if (node.config.enabled === false) {
      shared.disabled.set(name, uniqueId);
      continue;
    }
    patched(node, patch);
    nodes.set(uniqueId, node);
  }

  // Analyses: compiled (refs resolved) by `compile`, never run.
  for (const file of listFiles(project.dir, project.analysisPaths, ['.sql'])) {
    const node = parseConfiguredSqlFile(unit, shared, file, 'analysis', MODEL_DEFAULTS);
    if (!node) continue;
    node.alias = node.name;
    nodes.set(node.uniqueId, node);
  }

  // Snapshots: legacy blocks and YAML relations (snapshots.ts).
  for (const node of parseSnapshots(unit, shared, properties.snapshots)) {
    const existing = nodes.get(node.uniqueId);
    if (existing)
      throw new DemaError(
        'PARSE_PROJECT',
        `Two snapshots are named "${node.name}": ${nodeFile(existing)} and ${nodeFile(node)}.`,
        {
          hint: 'Snapshot names must be unique within a project; rename one.',
        },
      );
    nodes.set(node.uniqueId, node);
  }

  parseSources(unit, shared, properties);
  return {
    properties,
    unitTests: unitTestsIn(yamlFiles, unit.name),
    modelStems: new Set(modelFiles.map((file) => stem(file.relative))),
    seedStems: new Set(seedFiles.map((file) => stem(file.relative))),
  };
}

function parseSources(unit: ParseUnit, shared: ParseShared, properties: PropertyFiles): void {
  for (const spec of properties.sources) {
    const uniqueId = `source.${unit.name}.${spec.sourceName}.${spec.name}`;
    const file = ownPath(unit, spec.file);
    const fqn = [unit.name, ...file.split('/').slice(1, -1), spec.sourceName, spec.name];
    const node = baseNode({
      uniqueId,
      name: spec.name,
      resourceType: 'source',
      packageName: unit.name,
      fqn,
      originalFilePath: file,
      path: file,
      rawCode: '',
      sourceName: spec.sourceName,
      ...(unit.label ? { packageDir: unit.label } : {}),
      source: {
        sourceName: spec.sourceName,
        identifier: spec.identifier,
        ...(spec.loadedAtField ? { loadedAtField: spec.loadedAtField } : {}),
        freshness: spec.freshness ?? null,
        sourceDescription: docText(shared, unit, spec.sourceDescription, spec.file),
      },
    });
    const { own, rootOverride } = treeConfigs(unit, shared.root, 'sources', fqn);
    applyConfig(node, mergeConfig({ enabled: true, tags: [], meta: {} }, own), {}, spec.config, rootOverride);
    node.description = docText(shared, unit, spec.description, spec.file);
    node.columns = spec.columns;
    // Source schema / identifier may use Jinja, e.g. "{{ target.schema }}" or a package's var.
    const renderName = (text: string) =>
      text.includes('{')
        ? atLazyLine(
            (lineOffset) =>
              compileTemplate(text, spec.file, lineOffset)
                .render(createScope(shared.context, newRenderState(identityOf(node), false)))
                .trim(),
            spec.lineOf,
          )
        : text;
    node.schema = renderName(spec.schema);
    node.alias = renderName(spec.identifier);
    node.relationName = `\`${node.schema}\`.\`${node.alias}\``;
    if (node.config.enabled === false) continue;
    shared.nodes.set(uniqueId, node);
  }
}
