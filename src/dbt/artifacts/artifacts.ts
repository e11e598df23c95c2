import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exposureDict } from '../parser/exposures.ts';
import { macroCallsIn } from '../parser/macro-calls.ts';
import { nodeDict } from '../parser/node-dict.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import type { FreshnessResult } from '../run/freshness.ts';
import type { RunSummary } from '../run/results.ts';
import { withFixtureFile } from '../run/unit-test.ts';
import { setConfig } from '../state/compare.ts';
import { unitTestDict } from './unit-test-dict.ts';

/**
 * target/manifest.json (v12) and target/run_results.json (v6) with the fields dbt-docs and common
 * tools read (dbt-semantics.md §9), plus compiled SQL under target/compiled and target/run.
 */

const DBT_VERSION = '1.10.0';

const dict = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function metadata(kind: string, version: number, invocationId: string, startedAt: Date) {
  return {
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${kind}/v${version}.json`,
    dbt_version: DBT_VERSION,
    generated_at: new Date().toISOString(),
    invocation_id: invocationId,
    invocation_started_at: startedAt.toISOString(),
    env: {},
  };
}

export function buildManifest(
  parsed: ParsedProject,
  invocationId: string,
  compiled: ReadonlyMap<string, string> = new Map(),
) {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const node of parsed.manifest.nodes.values()) {
    parentMap[node.uniqueId] = [...node.dependsOn];
    childMap[node.uniqueId] ??= [];
    for (const parent of node.dependsOn) {
      childMap[parent] ??= [];
      childMap[parent].push(node.uniqueId);
    }
    const dict: Record<string, unknown> = {
      ...nodeDict(node),
      language: 'sql',
      docs: { show: true, node_color: null },
      // dbt's holds only the configs a project sets; dema's configs are rendered (state/compare.ts).
      unrendered_config: setConfig(node.config, node.resourceType),
      created_at: 0,
      build_path: null,
      contract: { enforced: false, alias_types: true, checksum: null },
      access: 'protected',
      group: null,
      version: null,
      latest_version: null,
      deprecation_date: null,
      constraints: [],
      metrics: [],
      doc_blocks: [],
    };
    const code = compiled.get(node.uniqueId);
    if (code !== undefined) {
      dict.compiled = true;
      dict.compiled_code = code;
      dict.compiled_path = compiledPath(parsed, node.uniqueId);
      dict.extra_ctes_injected = true;
      dict.extra_ctes = [];
    }
    if (node.resourceType === 'source') sources[node.uniqueId] = dict;
    else nodes[node.uniqueId] = dict;
  }
  const macros = Object.fromEntries(
    parsed.registry.definitions().map((def) => [
      `macro.${def.packageName}.${def.name}`,
      {
        unique_id: `macro.${def.packageName}.${def.name}`,
        name: def.name,
        package_name: def.packageName,
        path: def.path,
        original_file_path: def.path,
        macro_sql: `{% macro ${def.name}(${def.params}) %}${def.body}{% endmacro %}`,
        resource_type: 'macro',
        depends_on: { macros: macroCallsIn(def.body, parsed.registry, def.packageName) },
        description: '',
        meta: {},
        docs: { show: true },
        arguments: [],
      },
    ]),
  );
  const docs = Object.fromEntries(
    [...parsed.manifest.docs.values()].map((doc) => [
      `doc.${doc.packageName}.${doc.name}`,
      {
        unique_id: `doc.${doc.packageName}.${doc.name}`,
        name: doc.name,
        package_name: doc.packageName,
        path: doc.path,
        original_file_path: doc.path,
        block_contents: doc.contents,
        resource_type: 'doc',
      },
    ]),
  );
  const exposures: Record<string, unknown> = {};
  for (const exposure of parsed.manifest.exposures?.values() ?? []) {
    exposures[exposure.uniqueId] = exposureDict(exposure);
    parentMap[exposure.uniqueId] = [...exposure.dependsOn];
    childMap[exposure.uniqueId] = [];
    for (const parent of exposure.dependsOn) {
      childMap[parent] ??= [];
      childMap[parent].push(exposure.uniqueId);
    }
  }
  const unitTests: Record<string, unknown> = {};
  for (const unitTest of parsed.manifest.unitTests ?? []) {
    if (dict(dict(unitTest.spec).config).enabled === false) continue;
    const model = parsed.manifest.nodes.get(
      `model.${unitTest.packageName ?? parsed.project.name}.${unitTest.model}`,
    );
    unitTests[unitTest.uniqueId] = unitTestDict(
      unitTest,
      parsed.project.name,
      (spec) => withFixtureFile(parsed.context, unitTest, spec),
      model?.schema,
    );
  }
  return {
    metadata: {
      ...metadata('manifest', 12, invocationId, parsed.context.runStartedAt),
      project_name: parsed.project.name,
      project_id: createHash('md5').update(parsed.project.name).digest('hex'),
      user_id: null,
      send_anonymous_usage_stats: false,
      adapter_type: 'clickhouse',
      quoting: { database: false, schema: true, identifier: true },
      run_started_at: parsed.context.runStartedAt.toISOString(),
    },
    nodes,
    sources,
    macros,
    docs,
    exposures,
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    group_map: {},
    saved_queries: {},
    semantic_models: {},
    unit_tests: unitTests,
    functions: {},
  };
}

export function compiledPath(parsed: ParsedProject, uniqueId: string): string {
  const node = parsed.manifest.nodes.get(uniqueId);
  if (!node) {
    // A unit test is no graph node: unit_test.<package>.<model>.<name>.
    const [, packageName = '', model = '', ...name] = uniqueId.split('.');
    return join(
      parsed.project.targetPath,
      'compiled',
      packageName,
      'unit_test',
      model,
      `${name.join('.')}.sql`,
    );
  }
  const file =
    node.testType === 'generic'
      ? `${node.originalFilePath}/${node.alias}.sql`
      : /\.ya?ml$/.test(node.originalFilePath)
        ? `${node.originalFilePath}/${node.name}.sql` // a YAML-defined snapshot
        : node.originalFilePath;
  return join(parsed.project.targetPath, 'compiled', node.packageName, file);
}

export interface ArtifactInput {
  readonly parsed: ParsedProject;
  readonly invocationId: string;
  readonly startedAt: Date;
  readonly args: Record<string, unknown>;
  readonly summary?: RunSummary;
  readonly compiled?: ReadonlyMap<string, string>;
  readonly executed?: ReadonlyMap<string, string[]>;
}

export function writeArtifacts(input: ArtifactInput): void {
  const { parsed } = input;
  const targetDir = join(parsed.project.dir, parsed.project.targetPath);
  mkdirSync(targetDir, { recursive: true });
  writeFileSync(
    join(targetDir, 'manifest.json'),
    JSON.stringify(buildManifest(parsed, input.invocationId, input.compiled)),
  );
  for (const [id, sql] of input.compiled ?? [])
    write(join(parsed.project.dir, compiledPath(parsed, id)), sql);
  for (const [id, statements] of input.executed ?? []) {
    const node = parsed.manifest.nodes.get(id);
    const relative = compiledPath(parsed, id).replace(
      `${parsed.project.targetPath}/compiled/`,
      `${parsed.project.targetPath}/run/`,
    );
    if (node?.resourceType === 'operation') continue;
    write(join(parsed.project.dir, relative), `${statements.join(';\n\n')};\n`);
  }
  if (!input.summary) return;
  const runResults = {
    metadata: metadata('run-results', 6, input.invocationId, input.startedAt),
    results: input.summary.results.map((result) => ({
      status: result.status,
      timing: result.timing,
      thread_id: result.threadId,
      execution_time: result.executionTime,
      adapter_response: result.adapterResponse,
      message: result.message,
      failures: result.failures,
      unique_id: result.uniqueId,
      compiled: result.compiledCode !== undefined,
      compiled_code: result.compiledCode ?? null,
      relation_name: result.relationName ?? null,
      batch_results: null,
    })),
    elapsed_time: input.summary.elapsedSeconds,
    args: input.args,
  };
  writeFileSync(join(targetDir, 'run_results.json'), JSON.stringify(runResults, null, 1));
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** target/sources.json (schema v3) from `dema source freshness`. */
export function writeSourcesJson(
  file: string,
  results: readonly FreshnessResult[],
  invocationId: string,
  startedAt: Date,
): void {
  const document = {
    metadata: metadata('sources', 3, invocationId, startedAt),
    results: results.map((r) =>
      r.status === 'runtime error'
        ? { unique_id: r.uniqueId, error: r.error, status: r.status }
        : {
            unique_id: r.uniqueId,
            max_loaded_at: r.maxLoadedAt,
            snapshotted_at: r.snapshottedAt,
            max_loaded_at_time_ago_in_s: r.ageSeconds,
            status: r.status,
            criteria: {
              warn_after: r.criteria.warn_after ?? null,
              error_after: r.criteria.error_after ?? null,
              filter: r.criteria.filter ?? null,
            },
            adapter_response: { _message: 'OK' },
            timing: [],
            thread_id: 'Thread-1',
            execution_time: r.executionTime,
          },
    ),
    elapsed_time: (Date.now() - startedAt.getTime()) / 1000,
  };
  write(file, JSON.stringify(document, null, 1));
}
