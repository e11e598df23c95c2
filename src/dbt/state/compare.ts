import { isDeepStrictEqual } from 'node:util';
import type { DbtNode } from '../manifest/types.ts';
import type { PreviousState, StateEntry } from './previous-state.ts';

/**
 * dbt's `state:` selector method (core/dbt/graph/selector_methods.py StateSelectorMethod): each
 * current node compared with its namesake (same unique id) in the --state manifest. Pure: both
 * sides are read as manifest JSON, so a manifest written by dema or by dbt compares alike.
 */

export const STATE_VALUES = [
  'new',
  'old',
  'modified',
  'unmodified',
  'modified.body',
  'modified.configs',
  'modified.relation',
  'modified.persisted_descriptions',
  'modified.macros',
  'modified.contract',
] as const;

/** Config keys dbt leaves out of `same_config` (CompareBehavior.Exclude, or part of the relation). */
const NOT_COMPARED = new Set(['alias', 'schema', 'database', 'tags', 'group']);

/**
 * Values that mean "not set": dbt's unrendered_config holds only what the project sets, while a full
 * config (dema's, or dbt's `config`) also holds the defaults. Both sides drop these before comparing.
 */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  enabled: true,
  on_schema_change: 'ignore',
  on_configuration_change: 'apply',
  quote_columns: true,
  severity: 'ERROR',
  fail_calc: 'count(*)',
  warn_if: '!= 0',
  error_if: '!= 0',
  access: 'protected',
  lookback: 1,
  delimiter: ',',
  docs: { show: true, node_color: null },
  contract: { enforced: false, alias_types: true },
};
const DEFAULT_MATERIALIZED: Readonly<Record<string, string>> = {
  model: 'view',
  seed: 'seed',
  snapshot: 'snapshot',
  test: 'test',
};

const isEmpty = (value: unknown) =>
  value === null ||
  value === undefined ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);

/** A hook list as its SQL strings (dbt stores `{sql, transaction, index}`, a project writes strings). */
function hookSql(value: unknown): unknown {
  const list = Array.isArray(value) ? value : [value];
  return list.map((hook) =>
    hook && typeof hook === 'object' && 'sql' in hook ? String((hook as { sql: unknown }).sql) : hook,
  );
}

/** A config without its defaults and empty values, hook keys spelled as dbt_project.yml spells them. */
export function setConfig(config: Readonly<Record<string, unknown>>, resourceType: string) {
  const kept: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(config)) {
    const key = rawKey === 'pre_hook' ? 'pre-hook' : rawKey === 'post_hook' ? 'post-hook' : rawKey;
    if (isEmpty(value)) continue;
    if (key === 'materialized' && value === DEFAULT_MATERIALIZED[resourceType]) continue;
    if (key === 'schema' && resourceType === 'test' && value === 'dbt_test__audit') continue;
    if (key in DEFAULTS && isDeepStrictEqual(value, DEFAULTS[key])) continue;
    kept[key] = key === 'pre-hook' || key === 'post-hook' ? hookSql(value) : value;
  }
  return kept;
}

const record = (value: unknown): Readonly<Record<string, unknown>> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The configured values of the old node: its unrendered_config when written, else its config. */
function oldConfig(old: StateEntry): Readonly<Record<string, unknown>> {
  return setConfig(record(old.unrendered_config ?? old.config), String(old.resource_type ?? ''));
}

const newConfig = (node: DbtNode) => setConfig(node.config, node.resourceType);

export function sameBody(old: StateEntry, node: DbtNode): boolean {
  const checksum = record(old.checksum);
  // dbt writes checksum {name: "none"} where no file backs the node (generic tests): the code decides.
  if (typeof checksum.checksum === 'string' && checksum.name !== 'none' && checksum.checksum !== '')
    return checksum.checksum === node.checksum;
  return old.raw_code === node.rawCode;
}

export function sameConfig(old: StateEntry, node: DbtNode): boolean {
  const strip = (config: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(config).filter(([key]) => !NOT_COMPARED.has(key)));
  return isDeepStrictEqual(strip(oldConfig(old)), strip(newConfig(node)));
}

/** dbt's same_database_representation: the *configured* database, schema and alias (not the rendered names). */
export function sameRelation(old: StateEntry, node: DbtNode): boolean {
  const before = oldConfig(old);
  const after = newConfig(node);
  return ['database', 'schema', 'alias'].every((key) => (before[key] ?? null) === (after[key] ?? null));
}

/** Descriptions count only where persist_docs writes them to the warehouse (relation / columns). */
export function samePersistedDescriptions(old: StateEntry, node: DbtNode): boolean {
  const persist = record(node.config.persist_docs);
  if (persist.relation && String(old.description ?? '') !== node.description) return false;
  if (persist.columns) {
    const before = Object.fromEntries(
      Object.entries(record(old.columns)).map(([name, column]) => [
        name,
        String(record(column).description ?? ''),
      ]),
    );
    const after = Object.fromEntries(
      Object.values(node.columns).map((column) => [column.name, column.description]),
    );
    if (!isDeepStrictEqual(before, after)) return false;
  }
  return true;
}

function sameFqn(old: StateEntry, node: DbtNode): boolean {
  return !Array.isArray(old.fqn) || isDeepStrictEqual(old.fqn, node.fqn);
}

/** A source: what its relation and freshness are (dbt's SourceDefinition.same_contents, in short). */
function sameSource(old: StateEntry, node: DbtNode): boolean {
  return (
    (old.identifier ?? node.source?.identifier) === node.source?.identifier &&
    isDeepStrictEqual(record(old.freshness ?? {}), record(node.source?.freshness ?? {})) &&
    (old.loaded_at_field ?? null) === (node.source?.loadedAtField ?? null) &&
    sameConfig(old, node)
  );
}

/** The current project's macros: their code and the macros each calls, for modified.macros. */
export interface MacroIndex {
  /** Normalised code of each macro the project or a package defines (dema's own built-ins left out). */
  readonly code: ReadonlyMap<string, string>;
  readonly calls: ReadonlyMap<string, readonly string[]>;
}

/** A macro's code without its `{% macro … %}` / `{% endmacro %}` tags and surrounding blanks. */
export function macroBody(sql: string): string {
  return sql
    .replace(/^\s*\{%-?\s*(?:macro|test|materialization)\b[^%]*-?%\}/, '')
    .replace(/\{%-?\s*end(?:macro|test|materialization)\s*-?%\}\s*$/, '')
    .trim();
}

export class StateComparer {
  private modifiedMacros?: Set<string>;

  constructor(
    private readonly state: PreviousState,
    private readonly macros: MacroIndex,
  ) {}

  /** The checker for one `state:<value>`; undefined for a value dbt does not know. */
  checker(value: string): ((node: DbtNode) => boolean) | undefined {
    const old = (node: DbtNode) => this.state.nodes.get(node.uniqueId);
    // As dbt's check_modified_factory: a node absent from the state is modified in every respect.
    const factory = (same: (old: StateEntry, node: DbtNode) => boolean) => (node: DbtNode) => {
      const before = old(node);
      return !before || !same(before, node);
    };
    switch (value) {
      case 'new':
        return (node) => !old(node);
      case 'old':
        return (node) => old(node) !== undefined;
      case 'modified':
        return (node) => this.modified(node);
      case 'unmodified':
        return (node) => !this.modified(node);
      case 'modified.body':
        return factory(sameBody);
      case 'modified.configs':
        return factory(sameConfig);
      case 'modified.relation':
        return factory(sameRelation);
      case 'modified.persisted_descriptions':
        return factory(samePersistedDescriptions);
      case 'modified.macros':
        return (node) => this.upstreamMacroChanged(node);
      case 'modified.contract':
        // dema has no model contracts: no node's contract can change.
        return () => false;
      default:
        return undefined;
    }
  }

  /** dbt's check_modified_content: same_contents (body, configs, descriptions, fqn, relation) or a changed macro. */
  private modified(node: DbtNode): boolean {
    const before = this.state.nodes.get(node.uniqueId);
    if (!before) return true;
    // A generic test's arguments are in its name (so in its unique id and fqn): dbt compares
    // only its configs and fqn (GenericTestNode.same_contents).
    const same =
      node.resourceType === 'source'
        ? sameSource(before, node)
        : node.testType === 'generic'
          ? sameConfig(before, node) && sameFqn(before, node)
          : sameBody(before, node) &&
            sameConfig(before, node) &&
            samePersistedDescriptions(before, node) &&
            sameFqn(before, node) &&
            sameRelation(before, node);
    return !same || this.upstreamMacroChanged(node);
  }

  /** Macros new, removed or with other code than in the state (dbt's _macros_modified). */
  private changedMacros(): Set<string> {
    if (this.modifiedMacros) return this.modifiedMacros;
    const changed = new Set<string>();
    for (const [id, code] of this.macros.code) {
      const before = this.state.macros.get(id);
      if (!before || macroBody(String(before.macro_sql ?? '')) !== code) changed.add(id);
    }
    this.modifiedMacros = changed;
    return changed;
  }

  /** A macro the node calls, directly or through other macros, changed. */
  private upstreamMacroChanged(node: DbtNode): boolean {
    const changed = this.changedMacros();
    if (changed.size === 0) return false;
    const seen = new Set<string>();
    const stack = [...node.macroCalls];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (changed.has(id)) return true;
      stack.push(...(this.macros.calls.get(id) ?? []));
    }
    return false;
  }
}
