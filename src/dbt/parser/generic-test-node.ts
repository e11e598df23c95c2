import { DemaError } from '../../errors.ts';
import type { ParseCapture } from '../compile/context.ts';
import type { MacroRegistry } from '../jinja/macros.ts';
import type { DbtNode, TestSpec } from '../manifest/types.ts';
import { configForFqn, mergeConfig } from '../project/config-tree.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import { applyConfig, baseNode, TEST_DEFAULTS } from './base-node.ts';
import { nameGenericTest } from './generic-tests.ts';
import { below } from './names.ts';

/** A generic test from schema YAML becomes a test node named and configured as dbt does (§6.3). */

export interface GenericTestContext {
  /** The project the YAML belongs to (a package's, with root-relative paths: see ParseUnit). */
  readonly project: DbtProjectFile;
  /** For a package: where it is installed (`dbt_packages/p`), and the root project's `data_tests:` tree. */
  readonly packageDir?: string;
  readonly rootTests?: Record<string, unknown>;
  readonly registry: MacroRegistry;
  readonly targetSchema: string;
  /** Renders a generic test's macro at parse time; returns what it recorded. */
  readonly renderAtParse: (node: DbtNode) => ParseCapture;
}

export function genericTestNode(
  context: GenericTestContext,
  spec: TestSpec,
  attached: DbtNode,
  yamlFile: string,
  lineOf: () => number | undefined,
  columnName?: string,
): DbtNode | undefined {
  const { project, registry, targetSchema, renderAtParse } = context;
  const packageName = project.name;
  const isSource = attached.resourceType === 'source';
  const targetName = isSource ? `${attached.sourceName}_${attached.name}` : attached.name;
  const macroName = `test_${spec.name}`;
  const macro = spec.namespace
    ? registry.find(macroName, spec.namespace)
    : registry.findByLocality(macroName);
  if (!macro)
    throw new DemaError(
      'PARSE_PROJECT',
      `${yamlFile}:${lineOf() ?? 1}: unknown test "${spec.namespace ? `${spec.namespace}.` : ''}${spec.name}" on ${attached.name}.`,
      {
        hint:
          spec.namespace && !registry.packages.includes(spec.namespace)
            ? `Package "${spec.namespace}" is not installed: add it to packages.yml and run \`dema deps\` (dbt_utils is also built in).`
            : `Define {% test ${spec.name}(model, column_name) %} in macros/ or tests/generic/, or fix the name.`,
      },
    );
  const naming = nameGenericTest(spec, targetName, isSource, columnName);
  const root = [...project.modelPaths, ...project.seedPaths].find((path) => yamlFile.startsWith(`${path}/`));
  const fqn = [packageName, ...(root ? below(root, yamlFile).split('/').slice(0, -1) : []), naming.fullName];
  const uniqueId = `test.${packageName}.${naming.fullName}.${naming.uniqueIdSuffix}`;
  // A package's test names its model with the package: a root model of the same name never shadows it.
  const refCall = context.packageDir
    ? { package: packageName, name: attached.name }
    : { name: attached.name };
  const attachedCall = isSource
    ? `source('${attached.sourceName}', '${attached.name}')`
    : context.packageDir
      ? `ref('${packageName}', '${attached.name}')`
      : `ref('${attached.name}')`;
  const kwargs: Record<string, unknown> = {
    ...spec.kwargs,
    ...(columnName !== undefined ? { column_name: columnName } : {}),
    model: `{{ get_where_subquery(${attachedCall}) }}`,
  };
  const node = baseNode({
    uniqueId,
    name: naming.fullName,
    resourceType: 'test',
    packageName,
    fqn,
    originalFilePath: context.packageDir ? yamlFile.slice(context.packageDir.length + 1) : yamlFile,
    ...(context.packageDir ? { packageDir: context.packageDir } : {}),
    path: `${naming.alias}.sql`,
    rawCode: `{{ ${spec.namespace ? `${spec.namespace}.` : ''}test_${spec.name}(**_dbt_generic_test_kwargs) }}`,
    testType: 'generic',
    test: {
      name: spec.name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      kwargs,
      ...(columnName !== undefined ? { columnName } : {}),
      attachedNode: attached.uniqueId,
    },
    lineOf,
  });
  const projectConfig = mergeConfig(TEST_DEFAULTS, configForFqn(project.trees.tests, fqn));
  const rootOverride = context.packageDir ? configForFqn(context.rootTests, fqn) : {};
  applyConfig(node, projectConfig, {}, spec.config, rootOverride);
  if (node.config.enabled === false) return undefined;
  node.description = spec.description ?? '';
  // A test whose arguments name other nodes (relationships' `to`, equal_rowcount's `compare_model`)
  // or whose macro calls config() (equal_rowcount's fail_calc) is rendered once now, as dbt does:
  // that records its edges and its in-macro config. Every other test depends on its node only.
  const argumentsUseNodes = /\b(ref|source)\s*\(/.test(JSON.stringify(spec.kwargs));
  if (argumentsUseNodes || macro.body.includes('config(')) {
    const captured = renderAtParse(node);
    node.refs = captured.refs;
    node.sourceRefs = captured.sources;
    // config() in the test's definition is a default the YAML entry's config overrides.
    applyConfig(node, projectConfig, captured.config, spec.config, rootOverride);
  } else {
    node.refs = isSource ? [] : [refCall];
    node.sourceRefs = isSource ? [[attached.sourceName!, attached.name]] : [];
  }
  node.alias = String(node.config.alias ?? naming.alias);
  node.schema = `${targetSchema}_${String(node.config.schema)}`;
  return node;
}
