import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import { identityOf, parseGenericTest } from '../compile/compile-node.ts';
import { createScope, type NodeIdentity, newRenderState, type ProjectContext } from '../compile/context.ts';
import { atLazyLine } from '../compile/lazy-line.ts';
import { Graph } from '../graph/graph.ts';
import { extractBlocks } from '../jinja/blocks.ts';
import { compileTemplate, withScope } from '../jinja/environment.ts';
import { BUILTIN_PACKAGE, type MacroDef, MacroRegistry, UTILS_PACKAGE } from '../jinja/macros.ts';
import type { DbtNode, DocBlock, Manifest, TestSpec } from '../manifest/types.ts';
import { configForFqn, mergeConfig, type NodeConfig } from '../project/config-tree.ts';
import { type DbtProjectFile, loadProjectFile } from '../project/project-file.ts';
import { readYamlFile } from '../project/yaml-file.ts';
import { applyConfig, baseNode, MODEL_DEFAULTS, SEED_DEFAULTS, TEST_DEFAULTS } from './base-node.ts';
import { builtinMacros, packageShims } from './builtin-macros.ts';
import { resolveExposures } from './exposures.ts';
import { listFiles } from './files.ts';
import { genericTestNode } from './generic-test-node.ts';
import { below, escapeRegExp, fqnFor, lineOfText, stem, suggestion } from './names.ts';
import { nodeDict } from './node-dict.ts';
import { createLookup } from './node-lookup.ts';
import { assertMacrosOnly, installedPackages, readMacroFiles } from './packages.ts';
import { renderPatchConfigs, renderProjectTrees } from './render-project.ts';
import { type NodePatch, readPropertyFiles } from './schema-yaml.ts';
import { checkUnsupportedFiles, checkUnsupportedYaml } from './unsupported.ts';

/**
 * Reads a dbt project into a manifest: every model, seed, source, test and hook with its final
 * config, relation name and dependencies (each model rendered once with `execute` false).
 */

export interface ParseOptions {
  readonly projectDir: string;
  readonly target: Readonly<Record<string, unknown>>;
  readonly cliVars?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly invocationId?: string;
  readonly fullRefresh?: boolean;
  readonly which?: string;
  readonly log?: ProjectContext['log'];
}

export interface ParsedProject {
  readonly project: DbtProjectFile;
  readonly manifest: Manifest;
  readonly registry: MacroRegistry;
  readonly graph: Graph<DbtNode>;
  readonly context: ProjectContext;
}

export function parseProject(options: ParseOptions): ParsedProject {
  const project = renderProjectTrees(loadProjectFile(options.projectDir), {
    target: options.target,
    cliVars: options.cliVars ?? {},
    env: options.env ?? process.env,
  });
  const packages = installedPackages(project);
  const packageName = project.name;

  // Macros: dema's dbt built-ins (and its dbt_utils unless one is installed), each installed
  // package's macros in its own namespace, then the project's macro-paths and tests/generic.
  const installedNames = new Set(packages.map((p) => p.name));
  const defs: MacroDef[] = builtinMacros().filter(
    (def) => def.packageName !== UTILS_PACKAGE || !installedNames.has(UTILS_PACKAGE),
  );
  for (const pkg of packages) {
    assertMacrosOnly(pkg);
    const own = readMacroFiles(pkg.project, pkg.name, pkg.label);
    defs.push(...own, ...packageShims(pkg.name, new Set(own.map((def) => def.name))));
  }
  const docs = new Map<string, DocBlock>();
  defs.push(...readMacroFiles(project, packageName, ''));
  for (const file of listFiles(project.dir, project.docsPaths, ['.md']))
    for (const block of extractBlocks(readFileSync(file.absolute, 'utf8')).filter((b) => b.kind === 'docs'))
      docs.set(block.name, {
        name: block.name,
        packageName,
        path: file.relative,
        contents: block.body.trim(),
      });
  const registry = new MacroRegistry(defs, packageName, project.dispatch);

  const nodes = new Map<string, DbtNode>();
  const lookup = createLookup(nodes, packageName);
  const context: ProjectContext = {
    project,
    registry,
    target: options.target,
    cliVars: options.cliVars ?? {},
    invocationId: options.invocationId ?? '00000000-0000-0000-0000-000000000000',
    runStartedAt: new Date(),
    flags: {
      FULL_REFRESH: options.fullRefresh ?? false,
      WHICH: options.which ?? 'parse',
      STORE_FAILURES: false,
    },
    env: options.env ?? process.env,
    log: options.log ?? (() => {}),
    lookup,
  };
  const targetSchema = String(options.target.schema);

  const render = (identity: NodeIdentity, raw: string, lineOffset = 0) => {
    const state = newRenderState(identity, false);
    compileTemplate(raw, identity.originalFilePath, lineOffset).render(createScope(context, state));
    return state.parse;
  };

  /** A model or singular test: rendered once at parse time for its refs, sources and config() calls. */
  const parseSqlFile = (
    file: { absolute: string; relative: string; root: string },
    resourceType: 'model' | 'test',
    config: NodeConfig,
  ) => {
    const name = stem(file.relative);
    const rawCode = readFileSync(file.absolute, 'utf8');
    const node = baseNode({
      uniqueId: `${resourceType}.${packageName}.${name}`,
      name,
      resourceType,
      packageName,
      fqn: fqnFor(packageName, below(file.root, file.relative)),
      originalFilePath: file.relative,
      path: below(file.root, file.relative),
      rawCode,
      ...(resourceType === 'test' ? { testType: 'singular' as const } : {}),
    });
    node.config = config;
    node.schema = targetSchema;
    const captured = render({ ...identityOf(node), node: undefined, draft: node }, rawCode);
    node.refs = captured.refs;
    node.sourceRefs = captured.sources;
    return { node, captured };
  };

  const nameFor = (macro: string, custom: unknown, identity: NodeIdentity, node: DbtNode): string => {
    // dbt's default naming, without a render, unless the project overrides the macro.
    if (registry.find(macro)?.packageName === BUILTIN_PACKAGE) {
      const given = custom === undefined || custom === null ? undefined : String(custom).trim();
      if (macro === 'generate_schema_name') return given ? `${targetSchema}_${given}` : targetSchema;
      if (macro === 'generate_alias_name') return given || identity.name;
    }
    const fn = registry.lookup(macro)!;
    const state = newRenderState(identity, false);
    const value = withScope(createScope(context, state), () =>
      // dbt passes the parsed node (resource_type, unique_id, fqn, config…), before schema/alias are set.
      fn(custom ?? null, nodeDict(node)),
    );
    return String(value).trim();
  };

  // Property YAML files.
  const yamlFiles = listFiles(
    project.dir,
    [...project.modelPaths, ...project.seedPaths, ...project.testPaths, ...project.macroPaths],
    ['.yml', '.yaml'],
  ).map((file) => readYamlFile(file.absolute, file.relative));
  checkUnsupportedYaml(yamlFiles);
  checkUnsupportedFiles(project);
  const properties = renderPatchConfigs(readPropertyFiles(yamlFiles), (patch) =>
    createScope(
      context,
      newRenderState(
        {
          uniqueId: `model.${packageName}.${patch.name}`,
          name: patch.name,
          resourceType: 'model',
          packageName,
          originalFilePath: patch.file,
          schema: targetSchema,
          alias: patch.name,
          config: {},
        },
        false,
      ),
    ),
  );
  const docText = (text: string, where: string) =>
    text.replace(/\{\{\s*doc\(\s*['"]([\w]+)['"]\s*\)\s*\}\}/g, (_, name: string) => {
      const doc = docs.get(name);
      if (!doc)
        throw new DemaError('PARSE_PROJECT', `${where}: doc('${name}') is not defined.`, {
          hint: `Add {% docs ${name} %}…{% enddocs %} to a .md file.`,
        });
      return doc.contents;
    });

  const patched = (node: DbtNode, patch: NodePatch | undefined) => {
    if (!patch) return;
    node.description = docText(patch.description, patch.file);
    node.columns = Object.fromEntries(
      Object.entries(patch.columns).map(([name, column]) => [
        name,
        { ...column, description: docText(column.description, patch.file) },
      ]),
    );
    node.patchPath = `${packageName}://${patch.file}`;
  };

  const finishConfig = (
    node: DbtNode,
    projectConfig: NodeConfig,
    patch: NodePatch | undefined,
    inFile: NodeConfig,
  ) => applyConfig(node, projectConfig, patch?.config ?? {}, inFile);

  // Models.
  const modelFiles = project.modelPaths.flatMap((root) => listFiles(project.dir, [root], ['.sql']));
  for (const file of modelFiles) {
    const name = stem(file.relative);
    const fqn = fqnFor(packageName, below(file.root, file.relative));
    const uniqueId = `model.${packageName}.${name}`;
    if (nodes.has(uniqueId))
      throw new DemaError(
        'PARSE_PROJECT',
        `Two models are named "${name}": ${nodes.get(uniqueId)!.originalFilePath} and ${file.relative}.`,
        { hint: 'Model names must be unique; rename one file.' },
      );
    const patch = properties.models.get(name);
    const projectConfig = mergeConfig(MODEL_DEFAULTS, configForFqn(project.trees.models, fqn));
    const { node, captured } = parseSqlFile(file, 'model', mergeConfig(projectConfig, patch?.config ?? {}));
    finishConfig(node, projectConfig, patch, captured.config);
    if (node.config.enabled === false) continue;
    patched(node, patch);
    nodes.set(uniqueId, node);
  }

  // Seeds.
  for (const file of listFiles(project.dir, project.seedPaths, ['.csv'])) {
    const name = stem(file.relative);
    const fqn = fqnFor(packageName, below(file.root, file.relative));
    const uniqueId = `seed.${packageName}.${name}`;
    const patch = properties.seeds.get(name);
    const node = baseNode({
      uniqueId,
      name,
      resourceType: 'seed',
      packageName,
      fqn,
      originalFilePath: file.relative,
      path: below(file.root, file.relative),
      rawCode: '',
      seedFile: file.relative,
    });
    finishConfig(node, mergeConfig(SEED_DEFAULTS, configForFqn(project.trees.seeds, fqn)), patch, {});
    if (node.config.enabled === false) continue;
    patched(node, patch);
    nodes.set(uniqueId, node);
  }

  // Sources.
  for (const spec of properties.sources) {
    const uniqueId = `source.${packageName}.${spec.sourceName}.${spec.name}`;
    const fqn = [packageName, ...spec.file.split('/').slice(1, -1), spec.sourceName, spec.name];
    const node = baseNode({
      uniqueId,
      name: spec.name,
      resourceType: 'source',
      packageName,
      fqn,
      originalFilePath: spec.file,
      path: spec.file,
      rawCode: '',
      sourceName: spec.sourceName,
      source: {
        sourceName: spec.sourceName,
        identifier: spec.identifier,
        ...(spec.loadedAtField ? { loadedAtField: spec.loadedAtField } : {}),
        freshness: spec.freshness ?? null,
        sourceDescription: docText(spec.sourceDescription, spec.file),
      },
    });
    finishConfig(
      node,
      mergeConfig({ enabled: true, tags: [], meta: {} }, configForFqn(project.trees.sources, fqn)),
      undefined,
      spec.config,
    );
    node.description = docText(spec.description, spec.file);
    node.columns = spec.columns;
    // Source schema / identifier may use Jinja, e.g. "{{ target.schema }}".
    const renderName = (text: string) =>
      text.includes('{')
        ? atLazyLine(
            (lineOffset) =>
              compileTemplate(text, spec.file, lineOffset)
                .render(createScope(context, newRenderState(identityOf(node), false)))
                .trim(),
            spec.lineOf,
          )
        : text;
    node.schema = renderName(spec.schema);
    node.alias = renderName(spec.identifier);
    node.relationName = `\`${node.schema}\`.\`${node.alias}\``;
    if (node.config.enabled === false) continue;
    nodes.set(uniqueId, node);
  }

  // Relation names for models and seeds (after configs are final: generate_schema_name may be overridden).
  for (const node of nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'seed') continue;
    const identity: NodeIdentity = {
      uniqueId: node.uniqueId,
      name: node.name,
      resourceType: node.resourceType,
      packageName,
      originalFilePath: node.originalFilePath,
      schema: targetSchema,
      alias: node.name,
      config: node.config,
    };
    node.schema = nameFor('generate_schema_name', node.config.schema, identity, node);
    node.alias = nameFor('generate_alias_name', node.config.alias, identity, node);
    if (node.config.materialized !== 'ephemeral') node.relationName = `\`${node.schema}\`.\`${node.alias}\``;
  }

  // Generic tests from YAML.
  const testContext = {
    project,
    registry,
    targetSchema,
    renderAtParse: (node: DbtNode) => parseGenericTest(context, node),
  };
  const addGenericTest = (
    spec: TestSpec,
    attached: DbtNode,
    yamlFile: string,
    lineOf: () => number | undefined,
    columnName?: string,
  ) => {
    const node = genericTestNode(testContext, spec, attached, yamlFile, lineOf, columnName);
    if (node) nodes.set(node.uniqueId, node);
  };
  const attachTests = (
    node: DbtNode,
    patch: {
      tests: TestSpec[];
      columns: Record<string, { tests: TestSpec[] }>;
      file: string;
      lineOf: () => number | undefined;
    },
  ) => {
    for (const spec of patch.tests) addGenericTest(spec, node, patch.file, patch.lineOf);
    for (const [columnName, column] of Object.entries(patch.columns))
      for (const spec of column.tests) addGenericTest(spec, node, patch.file, patch.lineOf, columnName);
  };
  for (const node of [...nodes.values()]) {
    if (node.resourceType === 'model') {
      const patch = properties.models.get(node.name);
      if (patch) attachTests(node, patch);
    } else if (node.resourceType === 'seed') {
      const patch = properties.seeds.get(node.name);
      if (patch) attachTests(node, patch);
    } else if (node.resourceType === 'source') {
      const spec = properties.sources.find((s) => s.sourceName === node.sourceName && s.name === node.name)!;
      attachTests(node, spec);
    }
  }
  const modelStems = new Set(modelFiles.map((file) => stem(file.relative)));
  // As dbt: a YAML entry without its node is a warning, and the rest of the project still runs.
  const seedStems = new Set(
    listFiles(project.dir, project.seedPaths, ['.csv']).map((file) => stem(file.relative)),
  );
  for (const [kind, patches, stems, extension] of [
    ['model', properties.models, modelStems, 'sql'],
    ['seed', properties.seeds, seedStems, 'csv'],
  ] as const)
    for (const [name, patch] of patches)
      if (!stems.has(name))
        context.log(
          'warn',
          `${patch.file}:${patch.lineOf() ?? 1}: ${kind} "${name}" is described but there is no ${name}.${extension}; the entry is ignored.`,
        );

  // Singular tests.
  for (const file of listFiles(project.dir, project.testPaths, ['.sql'])) {
    if (project.testPaths.some((root) => file.relative.startsWith(`${root}/generic/`))) continue;
    const name = stem(file.relative);
    const uniqueId = `test.${packageName}.${name}`;
    const fqn = fqnFor(packageName, below(file.root, file.relative));
    const projectConfig = mergeConfig(TEST_DEFAULTS, configForFqn(project.trees.tests, fqn));
    const { node, captured } = parseSqlFile(file, 'test', projectConfig);
    finishConfig(node, projectConfig, undefined, captured.config);
    if (node.config.enabled === false) continue;
    node.alias = name;
    node.schema = `${targetSchema}_${String(node.config.schema)}`;
    nodes.set(uniqueId, node);
  }

  // Project hooks.
  for (const [kind, list] of [
    ['on-run-start', project.onRunStart],
    ['on-run-end', project.onRunEnd],
  ] as const)
    list.forEach((sql, index) => {
      const uniqueId = `operation.${packageName}.${packageName}-${kind}-${index}`;
      const node = baseNode({
        uniqueId,
        name: `${packageName}-${kind}-${index}`,
        resourceType: 'operation',
        packageName,
        fqn: [packageName, 'hooks', `${packageName}-${kind}-${index}`],
        originalFilePath: 'dbt_project.yml',
        path: 'hooks',
        rawCode: sql,
        hook: { kind, index },
      });
      node.config = { enabled: true, materialized: 'hook', tags: [], meta: {} };
      nodes.set(uniqueId, node);
    });

  // Resolve dependencies. A missing one names the file and the line of the call.
  const missing = (node: DbtNode, call: string, pattern: RegExp, hint: string) => {
    const line = node.lineOf?.() ?? lineOfText(node.rawCode, pattern);
    return new DemaError(
      'REF_NOT_FOUND',
      `${node.originalFilePath}${line ? `:${line}` : ''}: ${node.resourceType} "${node.name}" depends on ${call}, which was not found.`,
      { hint },
    );
  };
  const refNames = () =>
    [...nodes.values()]
      .filter((n) => n.resourceType === 'model' || n.resourceType === 'seed')
      .map((n) => n.name);
  for (const node of nodes.values()) {
    const dependsOn: string[] = [];
    for (const call of node.refs) {
      const target = lookup.ref(call, node);
      if (!target)
        throw missing(
          node,
          `ref('${call.name}')`,
          new RegExp(`ref\\s*\\(\\s*['"]${escapeRegExp(call.name)}['"]`),
          suggestion(call.name, refNames()),
        );
      dependsOn.push(target.uniqueId);
    }
    for (const [sourceName, tableName] of node.sourceRefs) {
      const target = lookup.source(sourceName, tableName);
      if (!target)
        throw missing(
          node,
          `source('${sourceName}', '${tableName}')`,
          new RegExp(`source\\s*\\(\\s*['"]${escapeRegExp(sourceName)}['"]`),
          'Declare the source table under sources: in a schema YAML file.',
        );
      dependsOn.push(target.uniqueId);
    }
    node.dependsOn = [...new Set(dependsOn)];
    node.macroCalls = [...node.rawCode.matchAll(/\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\(/g)]
      .map((match) => match[1]!)
      .filter((name) =>
        registry.find(name.split('.').at(-1)!, name.includes('.') ? name.split('.')[0] : undefined),
      )
      .map((name) =>
        name.includes('.') ? `macro.${name}` : `macro.${registry.find(name)!.packageName}.${name}`,
      );
  }

  const graph = new Graph([...nodes.values()]);
  graph.topologicalOrder();
  const exposures = resolveExposures(properties.exposures, nodes, packageName);
  return {
    project,
    manifest: { projectName: packageName, projectDir: project.dir, nodes, docs, exposures },
    registry,
    graph,
    context,
  };
}
