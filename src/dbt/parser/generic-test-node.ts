import { DemaError } from '../../errors.ts';
import type { NodeIdentity, ParseCapture } from '../compile/context.ts';
import type { MacroRegistry } from '../jinja/macros.ts';
import type { DbtNode, TestSpec } from '../manifest/types.ts';
import { configForFqn, mergeConfig } from '../project/config-tree.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import { applyConfig, baseNode, TEST_DEFAULTS } from './base-node.ts';
import { nameGenericTest } from './generic-tests.ts';
import { below } from './names.ts';

/** A generic test from schema YAML becomes a test node named and configured as dbt does (§6.3). */

export interface GenericTestContext {
  readonly project: DbtProjectFile;
  readonly registry: MacroRegistry;
  readonly targetSchema: string;
  /** Renders Jinja at parse time; returns what it recorded. */
  readonly render: (
    identity: NodeIdentity,
    raw: string,
    lineOffset?: number,
  ) => Pick<ParseCapture, 'refs' | 'sources'>;
}

export function genericTestNode(
  context: GenericTestContext,
  spec: TestSpec,
  attached: DbtNode,
  yamlFile: string,
  lineOf: () => number | undefined,
  columnName?: string,
): DbtNode | undefined {
  const { project, registry, targetSchema, render } = context;
  const packageName = project.name;
  const isSource = attached.resourceType === 'source';
  const targetName = isSource ? `${attached.sourceName}_${attached.name}` : attached.name;
  const macroName = `test_${spec.name}`;
  const macro = spec.namespace ? registry.find(macroName, spec.namespace) : registry.find(macroName);
  if (!macro)
    throw new DemaError(
      'PARSE_PROJECT',
      `${yamlFile}:${lineOf() ?? 1}: unknown test "${spec.namespace ? `${spec.namespace}.` : ''}${spec.name}" on ${attached.name}.`,
      {
        hint:
          spec.namespace && !registry.packages.includes(spec.namespace)
            ? `Package "${spec.namespace}" is not available; dema has dbt_utils built in.`
            : `Define {% test ${spec.name}(model, column_name) %} in macros/ or tests/generic/, or fix the name.`,
      },
    );
  const naming = nameGenericTest(spec, targetName, isSource, columnName);
  const root = [...project.modelPaths, ...project.seedPaths].find((path) => yamlFile.startsWith(`${path}/`));
  const fqn = [packageName, ...(root ? below(root, yamlFile).split('/').slice(0, -1) : []), naming.fullName];
  const uniqueId = `test.${packageName}.${naming.fullName}.${naming.uniqueIdSuffix}`;
  const attachedCall = isSource
    ? `source('${attached.sourceName}', '${attached.name}')`
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
    originalFilePath: yamlFile,
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
  applyConfig(node, mergeConfig(TEST_DEFAULTS, configForFqn(project.trees.tests, fqn)), {}, spec.config);
  if (node.config.enabled === false) return undefined;
  node.alias = String(node.config.alias ?? naming.alias);
  node.schema = `${targetSchema}_${String(node.config.schema)}`;
  node.description = spec.description ?? '';
  // Refs and sources inside the arguments (relationships' `to`, equal_rowcount's `compare_model`).
  const identity: NodeIdentity = {
    uniqueId,
    name: node.name,
    resourceType: 'test',
    packageName,
    originalFilePath: yamlFile,
    schema: node.schema,
    alias: node.alias,
    config: node.config,
  };
  const argText = JSON.stringify(spec.kwargs);
  const captured = /\b(ref|source)\s*\(/.test(argText)
    ? render(identity, kwargExpressions(spec.kwargs), (lineOf() ?? 1) - 1)
    : { refs: [], sources: [] };
  node.refs = isSource ? captured.refs : [{ name: attached.name }, ...captured.refs];
  node.sourceRefs = isSource
    ? [[attached.sourceName!, attached.name], ...captured.sources]
    : captured.sources;
  if (spec.name === 'equal_rowcount' && spec.namespace)
    node.config = mergeConfig(node.config, { fail_calc: 'sum(coalesce(diff_count, 0))' });
  return node;
}

/** The kwargs' ref()/source() expressions as one template, rendered at parse time to record the edges. */
function kwargExpressions(kwargs: Record<string, unknown>): string {
  const expressions: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string' && /^\s*(ref|source)\s*\(.+\)\s*$/.test(value))
      expressions.push(`{{ ${value} }}`);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(kwargs);
  return expressions.join('\n');
}
