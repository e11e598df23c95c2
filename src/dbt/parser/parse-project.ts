import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import { identityOf } from '../compile/compile-node.ts';
import { createScope, type NodeIdentity, newRenderState, type ProjectContext } from '../compile/context.ts';
import { Graph } from '../graph/graph.ts';
import { extractBlocks } from '../jinja/blocks.ts';
import { withScope } from '../jinja/environment.ts';
import { BUILTIN_PACKAGE, type MacroDef, MacroRegistry, UTILS_PACKAGE } from '../jinja/macros.ts';
import type { DbtNode, DocBlock, Manifest } from '../manifest/types.ts';
import { type DbtProjectFile, loadProjectFile } from '../project/project-file.ts';
import { baseNode } from './base-node.ts';
import { builtinMacros, packageShims } from './builtin-macros.ts';
import { resolveExposures } from './exposures.ts';
import { listFiles } from './files.ts';
import { macroCallsIn } from './macro-calls.ts';
import { escapeRegExp, lineOfText, nodeFile, suggestion } from './names.ts';
import { nodeDict } from './node-dict.ts';
import { createLookup } from './node-lookup.ts';
import { installedPackages, type ParseUnit, packageUnit, readMacroFiles, rootUnit } from './packages.ts';
import { ownPath, type ParseShared, parseUnitNodes } from './parse-package.ts';
import { parseUnitTests } from './parse-tests.ts';
import { renderProjectTrees } from './render-project.ts';

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
  const renderInput = {
    target: options.target,
    cliVars: options.cliVars ?? {},
    env: options.env ?? process.env,
  };
  const project = renderProjectTrees(loadProjectFile(options.projectDir), renderInput);
  // dbt renders every package's dbt_project.yml the same way (var() sees only --vars there).
  const packages = installedPackages(project).map((pkg) => ({
    ...pkg,
    project: renderProjectTrees(pkg.project, renderInput, `${pkg.label}/dbt_project.yml`),
  }));
  const packageName = project.name;
  const units: ParseUnit[] = [rootUnit(project), ...packages.map((pkg) => packageUnit(project, pkg))];

  // Macros: dema's dbt built-ins (and its dbt_utils unless one is installed), each installed
  // package's macros in its own namespace, then the project's macro-paths and tests/generic.
  const installedNames = new Set(packages.map((p) => p.name));
  const defs: MacroDef[] = builtinMacros().filter(
    (def) => def.packageName !== UTILS_PACKAGE || !installedNames.has(UTILS_PACKAGE),
  );
  for (const pkg of packages) {
    const own = readMacroFiles(pkg.project, pkg.name, pkg.label);
    defs.push(...own, ...packageShims(pkg.name, new Set(own.map((def) => def.name))));
  }
  defs.push(...readMacroFiles(project, packageName, ''));
  const docs = new Map<string, DocBlock>();
  for (const unit of units)
    for (const file of listFiles(project.dir, unit.project.docsPaths, ['.md']))
      for (const block of extractBlocks(readFileSync(file.absolute, 'utf8')).filter((b) => b.kind === 'docs'))
        docs.set(`${unit.name}.${block.name}`, {
          name: block.name,
          packageName: unit.name,
          path: ownPath(unit, file.relative),
          contents: block.body.trim(),
        });
  const registry = new MacroRegistry(defs, packageName, project.dispatch);

  const nodes = new Map<string, DbtNode>();
  const lookup = createLookup(nodes, packageName, {
    nodePackageFirst: project.flags.require_ref_searches_node_package_before_root === true,
  });
  const context: ProjectContext = {
    project,
    registry,
    target: options.target,
    cliVars: options.cliVars ?? {},
    packageVars: new Map(packages.map((pkg) => [pkg.name, pkg.project.vars])),
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
  const shared: ParseShared = {
    root: project,
    context,
    targetSchema,
    nodes,
    docs,
    sourceOverrides: new Map(),
    disabled: new Map(),
  };

  // Models, seeds and sources of the root project, then of each package.
  const parsedUnits = units.map((unit) => ({ unit, parsed: parseUnitNodes(unit, shared) }));
  for (const [target, byName] of shared.sourceOverrides)
    for (const [sourceName, override] of byName)
      if (![...nodes.values()].some((n) => n.packageName === target && n.sourceName === sourceName))
        context.log(
          'warn',
          `${override.where}: source "${sourceName}" overrides ${target}'s, but ${installedNames.has(target) ? `${target} has no such source` : `no package ${target} is installed`}; the override is ignored.`,
        );
  // Relation names for models and seeds (after configs are final: generate_schema_name may be overridden).
  for (const node of nodes.values())
    if (node.resourceType === 'model' || node.resourceType === 'seed' || node.resourceType === 'snapshot')
      nameRelation(context, node, targetSchema);
  checkRelationsUnique(nodes);
  // Generic tests from YAML, and singular tests.
  for (const { unit, parsed } of parsedUnits) parseUnitTests(unit, shared, registry, parsed);

  // Project hooks: every package's, ordered by package name, then the root project's (as dbt).
  const hookUnits = [...units.filter((u) => u.label).sort((a, b) => a.name.localeCompare(b.name)), units[0]!];
  for (const unit of hookUnits) addHooks(nodes, unit);

  // Resolve dependencies. A missing one names the file and the line of the call.
  const missing = (node: DbtNode, call: string, pattern: RegExp, hint: string) => {
    const line = node.lineOf?.() ?? lineOfText(node.rawCode, pattern);
    return new DemaError(
      'REF_NOT_FOUND',
      `${nodeFile(node)}${line ? `:${line}` : ''}: ${node.resourceType} "${node.name}" depends on ${call}, which was not found.`,
      { hint },
    );
  };
  const refNames = () =>
    [...nodes.values()]
      .filter((n) => n.resourceType === 'model' || n.resourceType === 'seed' || n.resourceType === 'snapshot')
      .map((n) => n.name);
  for (const node of nodes.values()) {
    const dependsOn: string[] = [];
    for (const call of node.refs) {
      const target = lookup.ref(call, node);
      if (!target)
        throw missing(
          node,
          call.package ? `ref('${call.package}', '${call.name}')` : `ref('${call.name}')`,
          new RegExp(
            `ref\\s*\\(\\s*${call.package ? `['"]${escapeRegExp(call.package)}['"]\\s*,\\s*` : ''}['"]${escapeRegExp(call.name)}['"]`,
          ),
          shared.disabled.has(call.name)
            ? `${shared.disabled.get(call.name)} is disabled (enabled: false, e.g. in dbt_project.yml); enable it or stop referring to it.`
            : suggestion(call.name, refNames()),
        );
      dependsOn.push(target.uniqueId);
    }
    for (const [sourceName, tableName] of node.sourceRefs) {
      const target = lookup.source(sourceName, tableName, node);
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
    node.macroCalls = macroCallsIn(node.rawCode, registry, node.packageName);
  }

  const graph = new Graph([...nodes.values()]);
  graph.topologicalOrder();
  // Exposures of the root project and of every package (never run; in the manifest and docs).
  const exposures = new Map(
    parsedUnits.flatMap(({ unit, parsed }) => [
      ...resolveExposures(parsed.properties.exposures, nodes, unit.name, (file) => ownPath(unit, file)),
    ]),
  );
  return {
    project,
    manifest: {
      projectName: packageName,
      projectDir: project.dir,
      nodes,
      docs,
      exposures,
      unitTests: parsedUnits.flatMap(({ parsed }) => parsed.unitTests),
    },
    registry,
    graph,
    context,
  };
}

/**
 * A model's or seed's schema and alias from generate_schema_name / generate_alias_name, as dbt's
 * `RelationUpdate` picks the macro: a package's own override for its nodes, else the root
 * project's, else dbt's (computed without a render). The macro gets the node with its package's
 * fields (package_name, fqn, config), before schema and alias are set.
 */
function nameRelation(context: ProjectContext, node: DbtNode, targetSchema: string): void {
  const { registry } = context;
  // The node as it is before naming: no final schema or alias yet, and not yet a built node.
  const { node: _unnamed, ...fields } = identityOf(node);
  const identity: NodeIdentity = { ...fields, schema: targetSchema, alias: node.name };
  const nameFor = (macro: string, custom: unknown): string => {
    const own = node.packageDir ? registry.find(macro, node.packageName) : undefined;
    const def = own ?? registry.find(macro)!;
    if (def.packageName === BUILTIN_PACKAGE) {
      const given = custom === undefined || custom === null ? undefined : String(custom).trim();
      if (macro === 'generate_schema_name') return given ? `${targetSchema}_${given}` : targetSchema;
      if (macro === 'generate_alias_name') return given || node.name;
    }
    const fn = registry.bind(def);
    const state = newRenderState(identity, false);
    const value = withScope(createScope(context, state), () => fn(custom ?? null, nodeDict(node)));
    return String(value).trim();
  };
  // A legacy snapshot's target_schema is taken as is (dbt < 1.9 semantics, kept by 1.9 for it).
  const legacySchema = node.resourceType === 'snapshot' ? node.config.target_schema : undefined;
  node.schema =
    typeof legacySchema === 'string' && legacySchema
      ? legacySchema
      : nameFor('generate_schema_name', node.config.schema);
  node.alias = nameFor('generate_alias_name', node.config.alias);
  if (node.config.materialized !== 'ephemeral') node.relationName = `\`${node.schema}\`.\`${node.alias}\``;
}

/** A unit's on-run-start / on-run-end entries as operation nodes `operation.<p>.<p>-on-run-start-<i>`. */
function addHooks(nodes: Map<string, DbtNode>, unit: ParseUnit): void {
  const name = unit.name;
  for (const [kind, list] of [
    ['on-run-start', unit.project.onRunStart],
    ['on-run-end', unit.project.onRunEnd],
  ] as const)
    list.forEach((sql, index) => {
      const uniqueId = `operation.${name}.${name}-${kind}-${index}`;
      const node = baseNode({
        uniqueId,
        name: `${name}-${kind}-${index}`,
        resourceType: 'operation',
        packageName: name,
        fqn: [name, 'hooks', `${name}-${kind}-${index}`],
        originalFilePath: 'dbt_project.yml',
        path: 'hooks',
        rawCode: sql,
        hook: { kind, index },
        ...(unit.label ? { packageDir: unit.label } : {}),
      });
      node.config = { enabled: true, materialized: 'hook', tags: [], meta: {} };
      nodes.set(uniqueId, node);
    });
}

/**
 * dbt's AmbiguousAliasError: two models or seeds (a package's and the root project's, typically)
 * that would build the same relation would overwrite each other, so the parse fails instead.
 */
function checkRelationsUnique(nodes: ReadonlyMap<string, DbtNode>): void {
  const seen = new Map<string, DbtNode>();
  for (const node of nodes.values()) {
    if (!node.relationName || !['model', 'seed', 'snapshot'].includes(node.resourceType)) continue;
    const other = seen.get(node.relationName);
    if (other)
      throw new DemaError(
        'PARSE_PROJECT',
        `${node.relationName} would be built by two nodes: ${other.uniqueId} (${nodeFile(other)}) and ${node.uniqueId} (${nodeFile(node)}).`,
        {
          hint: 'Give one of them another alias or schema (config alias/schema), or disable one (+enabled: false under models: <package>: in dbt_project.yml).',
        },
      );
    seen.set(node.relationName, node);
  }
}
