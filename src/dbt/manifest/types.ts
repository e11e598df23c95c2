import type { GraphNode } from '../graph/graph.ts';
import type { NodeConfig } from '../project/config-tree.ts';

/** One entry of a generic test list in schema YAML, normalised. */
export interface TestSpec {
  readonly name: string;
  /** `dbt_utils` for `dbt_utils.accepted_range`; undefined for built-ins and project tests. */
  readonly namespace?: string;
  readonly kwargs: Record<string, unknown>;
  readonly config: NodeConfig;
  /** A user-given test name (`name:`), replacing the synthesised one. */
  readonly customName?: string;
  readonly description?: string;
}

export interface ColumnSpec {
  readonly name: string;
  readonly description: string;
  readonly dataType?: string;
  readonly meta: Record<string, unknown>;
  readonly tags: string[];
  readonly tests: TestSpec[];
}

export interface RefCall {
  readonly name: string;
  readonly package?: string;
}

export interface GenericTestMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly kwargs: Record<string, unknown>;
  readonly columnName?: string;
  /** The model / seed / source the test is defined on. */
  readonly attachedNode?: string;
}

export interface SourceInfo {
  readonly sourceName: string;
  readonly identifier: string;
  readonly loadedAtField?: string;
  readonly freshness?: FreshnessSpec | null;
  readonly sourceDescription: string;
}

export interface FreshnessSpec {
  readonly warn_after?: { count: number; period: 'minute' | 'hour' | 'day' };
  readonly error_after?: { count: number; period: 'minute' | 'hour' | 'day' };
  readonly filter?: string;
}

export interface DbtNode extends GraphNode {
  /** Path relative to its resource directory (models/, seeds/, tests/). */
  readonly path: string;
  readonly rawCode: string;
  readonly checksum: string;
  config: NodeConfig;
  tags: string[];
  description: string;
  columns: Record<string, ColumnSpec>;
  meta: Record<string, unknown>;
  refs: RefCall[];
  sourceRefs: [string, string][];
  dependsOn: string[];
  macroCalls: string[];
  schema: string;
  alias: string;
  /** `schema`.`alias`; undefined for ephemeral models and tests. */
  relationName?: string;
  patchPath?: string;
  readonly test?: GenericTestMetadata;
  readonly source?: SourceInfo;
  /**
   * Nodes of an installed package: where the package sits, relative to the root project
   * (`dbt_packages/p`). Their originalFilePath is relative to the package, as in dbt's manifest.
   */
  readonly packageDir?: string;
  /** Seeds: the CSV file relative to the (root) project. */
  readonly seedFile?: string;
  /** Operations (on-run-start/end): which hook list and index. */
  readonly hook?: { kind: 'on-run-start' | 'on-run-end'; index: number };
  /** Singular and generic tests: the YAML or SQL file line the test comes from, for messages. */
  readonly lineOf?: () => number | undefined;
}

export interface DocBlock {
  readonly name: string;
  readonly packageName: string;
  readonly path: string;
  readonly contents: string;
}

export interface Manifest {
  readonly projectName: string;
  readonly projectDir: string;
  readonly nodes: Map<string, DbtNode>;
  readonly docs: Map<string, DocBlock>;
  /** Exposures from schema YAML: documented downstream uses; never run (dbt runs none either). */
  readonly exposures?: ReadonlyMap<string, Exposure>;
  /** unit_tests: entries. dema does not run them: build/test refuse while one is selected. */
  readonly unitTests?: readonly UnitTestRef[];
}

/** A dbt resource dema does not run, by name and the file:line that defines it. */
export interface UnsupportedRef {
  readonly name: string;
  readonly where: string;
}

export interface UnitTestRef {
  /** unit_test.<package>.<model>.<name>, as dbt names it. */
  readonly uniqueId: string;
  readonly name: string;
  /** The name of the model it tests. */
  readonly model: string;
  /** file:line of its YAML entry. */
  readonly where: string;
  /** The package that defines it, and its YAML entry as written (given, expect, overrides, config). */
  readonly packageName?: string;
  readonly spec?: Readonly<Record<string, unknown>>;
}

export interface Exposure {
  readonly uniqueId: string;
  readonly name: string;
  readonly packageName: string;
  readonly type: string;
  readonly label: string | undefined;
  readonly maturity: string | undefined;
  readonly url: string | undefined;
  readonly description: string;
  readonly owner: { readonly name?: string; readonly email?: string };
  readonly tags: readonly string[];
  readonly meta: Record<string, unknown>;
  /** Unique ids of the models, seeds and sources it depends on. */
  readonly dependsOn: readonly string[];
  /** The YAML file, relative to the project (as every node path). */
  readonly path: string;
}
