import { createHash } from 'node:crypto';
import type { DbtNode } from '../manifest/types.ts';
import { mergeConfig, type NodeConfig } from '../project/config-tree.ts';

/** A fresh manifest node and its configs: dbt's defaults per resource type, then the merge order. */

export const MODEL_DEFAULTS: NodeConfig = {
  enabled: true,
  materialized: 'view',
  tags: [],
  meta: {},
  on_schema_change: 'ignore',
  'pre-hook': [],
  'post-hook': [],
};
export const SEED_DEFAULTS: NodeConfig = {
  enabled: true,
  materialized: 'seed',
  tags: [],
  meta: {},
  quote_columns: true,
  column_types: {},
};
export const TEST_DEFAULTS: NodeConfig = {
  enabled: true,
  materialized: 'test',
  tags: [],
  meta: {},
  severity: 'ERROR',
  fail_calc: 'count(*)',
  warn_if: '!= 0',
  error_if: '!= 0',
  schema: 'dbt_test__audit',
  store_failures: null,
  where: null,
  limit: null,
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export type BaseFields = Pick<
  DbtNode,
  'uniqueId' | 'name' | 'resourceType' | 'packageName' | 'fqn' | 'originalFilePath' | 'path' | 'rawCode'
> &
  Partial<
    Pick<
      DbtNode,
      | 'testType'
      | 'sourceName'
      | 'test'
      | 'source'
      | 'seedFile'
      | 'hook'
      | 'lineOf'
      | 'packageDir'
      | 'checksum'
    >
  >;

export function baseNode(fields: BaseFields): DbtNode {
  return {
    ...fields,
    // dbt's file checksum: sha256 of the file's contents (a seed passes its CSV's).
    checksum: fields.checksum ?? sha256(fields.rawCode),
    config: {},
    tags: [],
    description: '',
    columns: {},
    meta: {},
    refs: [],
    sourceRefs: [],
    dependsOn: [],
    macroCalls: [],
    schema: '',
    alias: fields.name,
  };
}

/**
 * dbt's precedence (`calculate_node_config`): the node's own project tree < YAML config < config()
 * in the file < for a package's node, the root project's tree; tags de-duplicated.
 */
export function applyConfig(
  node: DbtNode,
  projectConfig: NodeConfig,
  patchConfig: NodeConfig,
  inFile: NodeConfig,
  rootOverride: NodeConfig = {},
): void {
  const config = mergeConfig(mergeConfig(mergeConfig(projectConfig, patchConfig), inFile), rootOverride);
  const tags = config.tags === undefined ? [] : ([] as string[]).concat(config.tags as string[]);
  node.config = config;
  node.tags = [...new Set(tags)];
  node.config.tags = node.tags;
  node.meta = (config.meta as Record<string, unknown>) ?? {};
}
