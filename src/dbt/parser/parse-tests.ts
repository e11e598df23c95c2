import { parseGenericTest } from '../compile/compile-node.ts';
import type { MacroRegistry } from '../jinja/macros.ts';
import type { DbtNode, TestSpec } from '../manifest/types.ts';
import { TEST_DEFAULTS } from './base-node.ts';
import { listFiles } from './files.ts';
import { genericTestNode } from './generic-test-node.ts';
import type { ParseUnit } from './packages.ts';
import { type ParseShared, parseConfiguredSqlFile, type UnitNodes } from './parse-package.ts';

/**
 * The data tests of one parse unit: generic tests from its schema YAML (attached to its own models,
 * seeds and sources) and singular tests from its test-paths; plus dbt's warning for a YAML entry
 * whose model or seed file does not exist.
 */

interface Attachable {
  tests: TestSpec[];
  columns: Record<string, { tests: TestSpec[] }>;
  file: string;
  lineOf: () => number | undefined;
}

export function parseUnitTests(
  unit: ParseUnit,
  shared: ParseShared,
  registry: MacroRegistry,
  parsed: UnitNodes,
): void {
  const { nodes, context, targetSchema } = shared;
  const { properties } = parsed;
  const testContext = {
    project: unit.project,
    registry,
    targetSchema,
    renderAtParse: (node: DbtNode) => parseGenericTest(context, node),
    ...(unit.label ? { packageDir: unit.label, rootTests: shared.root.trees.tests } : {}),
  };
  const attach = (node: DbtNode, patch: Attachable) => {
    const add = (spec: TestSpec, columnName?: string) => {
      const test = genericTestNode(testContext, spec, node, patch.file, patch.lineOf, columnName);
      if (test) nodes.set(test.uniqueId, test);
    };
    for (const spec of patch.tests) add(spec);
    for (const [columnName, column] of Object.entries(patch.columns))
      for (const spec of column.tests) add(spec, columnName);
  };
  for (const node of [...nodes.values()]) {
    if (node.packageName !== unit.name) continue;
    if (node.resourceType === 'model' || node.resourceType === 'seed' || node.resourceType === 'snapshot') {
      const patch = (
        node.resourceType === 'model'
          ? properties.models
          : node.resourceType === 'seed'
            ? properties.seeds
            : properties.snapshots
      ).get(node.name);
      if (patch) attach(node, patch);
    } else if (node.resourceType === 'source') {
      const spec = properties.sources.find((s) => s.sourceName === node.sourceName && s.name === node.name);
      if (spec) attach(node, spec);
    }
  }
  // As dbt: a YAML entry without its node is a warning, and the rest of the project still runs.
  for (const [kind, patches, stems, extension] of [
    ['model', properties.models, parsed.modelStems, 'sql'],
    ['seed', properties.seeds, parsed.seedStems, 'csv'],
  ] as const)
    for (const [name, patch] of patches)
      if (!stems.has(name))
        context.log(
          'warn',
          `${patch.file}:${patch.lineOf() ?? 1}: ${kind} "${name}" is described but there is no ${name}.${extension}; the entry is ignored.`,
          'NoNodeForYamlKey',
        );

  // Singular tests.
  const { project } = unit;
  for (const file of listFiles(project.dir, project.testPaths, ['.sql'])) {
    // As dbt: <test-paths>/generic holds generic tests, <test-paths>/fixtures unit-test fixtures.
    if (
      project.testPaths.some(
        (root) =>
          file.relative.startsWith(`${root}/generic/`) || file.relative.startsWith(`${root}/fixtures/`),
      )
    )
      continue;
    const node = parseConfiguredSqlFile(unit, shared, file, 'test', TEST_DEFAULTS);
    if (!node) continue;
    node.alias = node.name;
    node.schema = `${targetSchema}_${String(node.config.schema)}`;
    nodes.set(node.uniqueId, node);
  }
}
