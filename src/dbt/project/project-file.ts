import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DemaError } from '../../errors.ts';
import { readYamlFile } from './yaml-file.ts';

/** dbt_project.yml, with dbt's defaults and legacy spellings (dbt-semantics.md §1.1). */

const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]));
const tree = z.record(z.string(), z.unknown()).default({});

const projectSchema = z
  .object({
    name: z
      .string()
      .regex(/^[^\d\W]\w*$/, 'must be a valid identifier (letters, digits, _; not starting with a digit)'),
    version: z.union([z.string(), z.number()]).optional(),
    'config-version': z.literal(2).default(2),
    profile: z.string().optional(),
    'model-paths': z.array(z.string()).optional(),
    'source-paths': z.array(z.string()).optional(),
    'seed-paths': z.array(z.string()).optional(),
    'data-paths': z.array(z.string()).optional(),
    'test-paths': z.array(z.string()).default(['tests']),
    'macro-paths': z.array(z.string()).default(['macros']),
    'snapshot-paths': z.array(z.string()).default(['snapshots']),
    'analysis-paths': z.array(z.string()).default(['analyses']),
    'docs-paths': z.array(z.string()).optional(),
    'target-path': z.string().default('target'),
    'log-path': z.string().default('logs'),
    'packages-install-path': z.string().default('dbt_packages'),
    'clean-targets': z.array(z.string()).optional(),
    'on-run-start': stringList.default([]),
    'on-run-end': stringList.default([]),
    'require-dbt-version': z.unknown().optional(),
    quoting: z.record(z.string(), z.boolean()).optional(),
    dispatch: z
      .array(z.object({ macro_namespace: z.string(), search_order: z.array(z.string()) }))
      .default([]),
    vars: z.record(z.string(), z.unknown()).default({}),
    models: tree,
    seeds: tree,
    snapshots: tree,
    sources: tree,
    data_tests: tree.optional(),
    tests: tree.optional(),
    analyses: tree,
    exposures: tree,
    'query-comment': z.unknown().optional(),
    flags: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();

export interface DbtProjectFile {
  readonly dir: string;
  readonly name: string;
  readonly profile: string;
  readonly modelPaths: string[];
  readonly seedPaths: string[];
  readonly testPaths: string[];
  readonly macroPaths: string[];
  readonly snapshotPaths: string[];
  readonly analysisPaths: string[];
  readonly docsPaths: string[];
  readonly targetPath: string;
  readonly packagesInstallPath: string;
  readonly logPath: string;
  readonly cleanTargets: string[];
  readonly onRunStart: string[];
  readonly onRunEnd: string[];
  readonly dispatch: ReadonlyMap<string, readonly string[]>;
  readonly vars: Record<string, unknown>;
  /** Behaviour flags (`flags:`), e.g. require_ref_searches_node_package_before_root. */
  readonly flags: Readonly<Record<string, unknown>>;
  readonly trees: {
    readonly models: Record<string, unknown>;
    readonly seeds: Record<string, unknown>;
    readonly snapshots: Record<string, unknown>;
    readonly sources: Record<string, unknown>;
    readonly tests: Record<string, unknown>;
    readonly analyses: Record<string, unknown>;
  };
}

export function loadProjectFile(projectDir: string): DbtProjectFile {
  const dir = resolve(projectDir);
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file))
    throw new DemaError('PARSE_PROJECT', `No dbt_project.yml in ${dir}.`, {
      hint: 'Run from a dbt project directory or pass --project-dir.',
    });
  const yaml = readYamlFile(file, 'dbt_project.yml');
  const parsed = projectSchema.safeParse(yaml.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const line = yaml.lineOf(issue.path as (string | number)[]);
    throw new DemaError(
      'PARSE_PROJECT',
      `dbt_project.yml${line ? `:${line}` : ''}: ${issue.path.join('.') || '(top level)'} ${issue.message}`,
      { hint: 'See https://docs.getdbt.com/reference/dbt_project.yml for the keys and their types.' },
    );
  }
  const project = parsed.data;
  const modelPaths = project['model-paths'] ?? project['source-paths'] ?? ['models'];
  const seedPaths = project['seed-paths'] ?? project['data-paths'] ?? ['seeds'];
  const testPaths = project['test-paths'];
  const macroPaths = project['macro-paths'];
  const targetPath = process.env.DBT_TARGET_PATH ?? project['target-path'];
  return {
    dir,
    name: project.name,
    profile: project.profile ?? project.name,
    modelPaths,
    seedPaths,
    testPaths,
    macroPaths,
    snapshotPaths: project['snapshot-paths'],
    analysisPaths: project['analysis-paths'],
    docsPaths: project['docs-paths'] ?? [...modelPaths, ...seedPaths, ...testPaths, ...macroPaths],
    targetPath,
    packagesInstallPath: project['packages-install-path'],
    logPath: project['log-path'],
    cleanTargets: project['clean-targets'] ?? [targetPath],
    onRunStart: project['on-run-start'],
    onRunEnd: project['on-run-end'],
    dispatch: new Map(project.dispatch.map((entry) => [entry.macro_namespace, entry.search_order])),
    vars: project.vars,
    flags: project.flags,
    trees: {
      models: project.models,
      seeds: project.seeds,
      snapshots: project.snapshots,
      sources: project.sources,
      tests: project.data_tests ?? project.tests ?? {},
      analyses: project.analyses,
    },
  };
}
