import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import { identityOf } from '../compile/compile-node.ts';
import { createScope, newRenderState } from '../compile/context.ts';
import { extractBlocks } from '../jinja/blocks.ts';
import { compileTemplate } from '../jinja/environment.ts';
import type { DbtNode } from '../manifest/types.ts';
import { mergeConfig, type NodeConfig } from '../project/config-tree.ts';
import { applyConfig, baseNode } from './base-node.ts';
import { listFiles } from './files.ts';
import { below, fqnFor } from './names.ts';
import type { ParseUnit } from './packages.ts';
import { ownPath, type ParseShared, treeConfigs } from './parse-package.ts';
import type { NodePatch } from './schema-yaml.ts';

/**
 * Snapshot nodes `snapshot.<package>.<name>` in both of dbt's forms: legacy `{% snapshot name %}`
 * blocks in snapshot-paths (the block's body is the node's SQL) and dbt 1.9+ `snapshots:` YAML
 * entries with `relation: ref(..) | source(..)` (the SQL is `select * from <relation>`). Configs
 * follow the models' precedence: the project's `snapshots:` tree < YAML config < config() in the
 * block. The strategy settings are checked here, so a bad one fails the parse at its file:line.
 */

export const SNAPSHOT_DEFAULTS: NodeConfig = {
  enabled: true,
  materialized: 'snapshot',
  tags: [],
  meta: {},
  'pre-hook': [],
  'post-hook': [],
  hard_deletes: 'ignore',
};

type SnapshotPatch = NodePatch & { readonly relation?: string };

interface Definition {
  readonly name: string;
  readonly file: { relative: string; root: string };
  readonly line: number;
  readonly rawCode: string;
  readonly patch?: SnapshotPatch;
}

export function parseSnapshots(
  unit: ParseUnit,
  shared: ParseShared,
  patches: ReadonlyMap<string, SnapshotPatch>,
): DbtNode[] {
  const definitions: Definition[] = [];
  for (const file of listFiles(unit.project.dir, unit.project.snapshotPaths, ['.sql'])) {
    const text = readFileSync(file.absolute, 'utf8');
    const blocks = extractBlocks(text).filter((block) => block.kind === 'snapshot');
    if (blocks.length === 0 && text.trim())
      throw new DemaError(
        'PARSE_PROJECT',
        `${file.relative}:1: a .sql file in snapshot-paths without a {% snapshot %} block.`,
        {
          hint: 'Wrap the query in {% snapshot <name> %} … {% endsnapshot %}, or move it to model-paths.',
        },
      );
    for (const block of blocks)
      definitions.push({
        name: block.name,
        file,
        line: block.line,
        // Padded so an error in the body names the file's own line.
        rawCode: '\n'.repeat(block.line - 1) + block.body,
        ...(patches.get(block.name) ? { patch: patches.get(block.name)! } : {}),
      });
  }
  for (const patch of patches.values()) {
    if (patch.relation === undefined) continue;
    const line = patch.lineOf() ?? 1;
    if (definitions.some((d) => d.name === patch.name))
      throw new DemaError(
        'PARSE_PROJECT',
        `${patch.file}:${line}: snapshot "${patch.name}" is defined twice (a YAML relation and a {% snapshot %} block).`,
        {
          hint: 'Keep one definition.',
        },
      );
    const relation = patch.relation.trim();
    const call = relation.startsWith('{{') ? relation : `{{ ${relation} }}`;
    definitions.push({
      name: patch.name,
      file: { relative: patch.file, root: patch.file.split('/')[0]! },
      line,
      rawCode: `select * from ${call}`,
      patch,
    });
  }
  const nodes: DbtNode[] = [];
  for (const definition of definitions) {
    const node = snapshotNode(unit, shared, definition);
    if (node) nodes.push(node);
  }
  return nodes;
}

function snapshotNode(unit: ParseUnit, shared: ParseShared, definition: Definition): DbtNode | undefined {
  const { name, file, patch } = definition;
  const path = below(file.root, file.relative);
  const fqn = [...fqnFor(unit.name, path).slice(0, -1), name];
  const node = baseNode({
    uniqueId: `snapshot.${unit.name}.${name}`,
    name,
    resourceType: 'snapshot',
    packageName: unit.name,
    fqn,
    originalFilePath: ownPath(unit, file.relative),
    path,
    rawCode: definition.rawCode,
    lineOf: () => definition.line,
    ...(unit.label ? { packageDir: unit.label } : {}),
  });
  const { own, rootOverride } = treeConfigs(unit, shared.root, 'snapshots', fqn);
  const projectConfig = mergeConfig(SNAPSHOT_DEFAULTS, own);
  node.config = mergeConfig(mergeConfig(projectConfig, patch?.config ?? {}), rootOverride);
  node.schema = shared.targetSchema;
  const state = newRenderState({ ...identityOf(node), node: undefined, draft: node }, false);
  compileTemplate(node.rawCode, file.relative).render(createScope(shared.context, state));
  node.refs = state.parse.refs;
  node.sourceRefs = state.parse.sources;
  applyConfig(node, projectConfig, patch?.config ?? {}, state.parse.config, rootOverride);
  if (node.config.enabled === false) {
    shared.disabled.set(name, node.uniqueId);
    return undefined;
  }
  if (patch) {
    node.description = patch.description;
    node.columns = patch.columns;
    node.patchPath = `${unit.name}://${ownPath(unit, patch.file)}`;
  }
  checkSnapshotConfig(node, `${file.relative}:${definition.line}`);
  return node;
}

const unsupported = (where: string, what: string, hint: string) =>
  new DemaError('DBT_UNSUPPORTED', `${where}: ${what} is not supported by dema yet.`, { hint });

const invalid = (where: string, what: string, hint: string) =>
  new DemaError('PARSE_PROJECT', `${where}: ${what}`, { hint });

/** dbt's required settings per strategy, and the settings dema refuses rather than ignores. */
export function checkSnapshotConfig(node: DbtNode, where: string): void {
  const config = node.config;
  const name = `snapshot "${node.name}"`;
  if (config.snapshot_meta_column_names !== undefined && config.snapshot_meta_column_names !== null)
    throw unsupported(
      where,
      `${name}: snapshot_meta_column_names`,
      'Remove it: dema writes the default dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to (and dbt_is_deleted).',
    );
  for (const key of ['target_database', 'database'])
    if (config[key] !== undefined && config[key] !== null)
      throw unsupported(
        where,
        `${name}: ${key}`,
        'ClickHouse has no databases above schemas; use schema (or target_schema).',
      );
  if (
    typeof config.strategy === 'string' &&
    config.strategy &&
    !['timestamp', 'check'].includes(config.strategy)
  )
    throw unsupported(
      where,
      `${name}: the custom strategy "${config.strategy}" (a snapshot_${config.strategy}_strategy macro)`,
      'Use strategy timestamp or check.',
    );
  if (config.strategy !== 'timestamp' && config.strategy !== 'check')
    throw invalid(
      where,
      `${name} has no strategy.`,
      'Set strategy: timestamp (with updated_at) or check (with check_cols).',
    );
  const key = config.unique_key;
  const keys = Array.isArray(key) ? key : [key];
  if (keys.length === 0 || keys.some((k) => typeof k !== 'string' || !k.trim()))
    throw invalid(where, `${name} has no unique_key.`, 'Set unique_key: a column, or a list of columns.');
  if (config.strategy === 'timestamp' && (typeof config.updated_at !== 'string' || !config.updated_at.trim()))
    throw invalid(
      where,
      `${name} uses strategy timestamp without updated_at.`,
      'Set updated_at: the column that says when the row last changed.',
    );
  const check = config.check_cols;
  if (
    config.strategy === 'check' &&
    check !== 'all' &&
    !(Array.isArray(check) && check.length > 0 && check.every((c) => typeof c === 'string'))
  )
    throw invalid(
      where,
      `${name} uses strategy check without check_cols.`,
      "Set check_cols: 'all' or a list of columns.",
    );
  if (config.invalidate_hard_deletes === true && config.hard_deletes === 'ignore')
    config.hard_deletes = 'invalidate';
  if (!['ignore', 'invalidate', 'new_record'].includes(String(config.hard_deletes)))
    throw invalid(
      where,
      `${name} has hard_deletes ${JSON.stringify(config.hard_deletes)}.`,
      'Use ignore, invalidate or new_record.',
    );
}
