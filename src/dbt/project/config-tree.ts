/**
 * dbt's per-resource config trees (`models:`, `seeds:` … in dbt_project.yml), walked along a node's
 * FQN. At each level, `+key` is always a config; a plain key is a config only when its value is not
 * a dict (a dict under a plain key is the next path level). Deeper levels override shallower ones,
 * with dbt's merge rules per key (dbt-semantics.md §1.2).
 */

export type ConfigValue = unknown;
export type NodeConfig = Record<string, ConfigValue>;

const APPEND_KEYS = new Set(['tags', 'pre-hook', 'post-hook']);
const DICT_UPDATE_KEYS = new Set(['meta', 'quoting', 'column_types', 'docs', 'contract', 'persist_docs']);

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseKey(key: string): string {
  if (key === 'pre_hook') return 'pre-hook';
  if (key === 'post_hook') return 'post-hook';
  return key;
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Merges `overrides` into `base` with dbt's per-key rules; returns a new object. */
export function mergeConfig(base: NodeConfig, overrides: NodeConfig): NodeConfig {
  const merged: NodeConfig = {};
  for (const [key, value] of Object.entries(base)) merged[normaliseKey(key)] = value;
  for (const [rawKey, value] of Object.entries(overrides)) {
    const key = normaliseKey(rawKey);
    if (APPEND_KEYS.has(key)) merged[key] = [...asList(merged[key]), ...asList(value)];
    else if (DICT_UPDATE_KEYS.has(key) && isDict(value))
      merged[key] = { ...(isDict(merged[key]) ? merged[key] : {}), ...value };
    else merged[key] = value;
  }
  return merged;
}

/** The configs set at one level of a tree (without descending). */
export function levelConfigs(level: Record<string, unknown>): NodeConfig {
  const configs: NodeConfig = {};
  for (const [key, value] of Object.entries(level)) {
    if (key.startsWith('+')) configs[key.slice(1)] = value;
    else if (!isDict(value)) configs[key] = value;
  }
  return configs;
}

/** Walks the tree along the FQN, merging each level's configs over the previous ones. */
export function configForFqn(tree: unknown, fqn: readonly string[]): NodeConfig {
  let config: NodeConfig = {};
  if (!isDict(tree)) return config;
  config = mergeConfig(config, levelConfigs(tree));
  let level: unknown = tree;
  for (const part of fqn) {
    if (!isDict(level)) break;
    const next = level[part];
    if (!isDict(next)) break;
    config = mergeConfig(config, levelConfigs(next));
    level = next;
  }
  return config;
}
