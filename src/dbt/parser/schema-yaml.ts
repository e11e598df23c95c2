import { DemaError } from '../../errors.ts';
import type { ColumnSpec, FreshnessSpec, TestSpec } from '../manifest/types.ts';
import type { NodeConfig } from '../project/config-tree.ts';
import type { YamlFile } from '../project/yaml-file.ts';
import { normaliseTestEntry } from './generic-tests.ts';

/** Schema YAML v2 property files: model / seed patches and sources (dbt-semantics.md §2). */

export interface NodePatch {
  readonly name: string;
  readonly description: string;
  readonly config: NodeConfig;
  readonly columns: Record<string, ColumnSpec>;
  readonly tests: TestSpec[];
  readonly file: string;
  /** The entry's line in the file (parses positions on first use). */
  readonly lineOf: () => number | undefined;
}

export interface SourceTableSpec {
  readonly sourceName: string;
  readonly name: string;
  readonly schema: string;
  readonly identifier: string;
  readonly description: string;
  readonly sourceDescription: string;
  readonly loadedAtField?: string;
  readonly freshness?: FreshnessSpec | null;
  readonly columns: Record<string, ColumnSpec>;
  readonly tests: TestSpec[];
  readonly config: NodeConfig;
  readonly file: string;
  /** The entry's line in the file (parses positions on first use). */
  readonly lineOf: () => number | undefined;
}

export interface ExposureSpec {
  readonly entry: Record<string, unknown>;
  readonly file: string;
  readonly lineOf: () => number | undefined;
}

export interface PropertyFiles {
  readonly models: Map<string, NodePatch>;
  readonly seeds: Map<string, NodePatch>;
  /** `snapshots:` entries: properties of a legacy snapshot, or (with `relation`) a dbt 1.9+ snapshot. */
  readonly snapshots: Map<string, NodePatch & { readonly relation?: string }>;
  readonly sources: SourceTableSpec[];
  readonly exposures: ExposureSpec[];
}

type Dict = Record<string, unknown>;
const asDict = (value: unknown): Dict =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Where an entry is, for error messages: computed only when an error needs it. */
type Where = () => string;

function testsOf(owner: Dict, where: Where): TestSpec[] {
  if (owner.data_tests !== undefined && owner.tests !== undefined)
    throw new DemaError('PARSE_YAML', `${where()}: both data_tests and tests are set.`, {
      hint: 'Use data_tests only (tests is the legacy name).',
    });
  return asList(owner.data_tests ?? owner.tests).map((entry, i) =>
    normaliseTestEntry(entry, () => `${where()} test #${i + 1}`),
  );
}

function columnsOf(owner: Dict, where: Where): Record<string, ColumnSpec> {
  const columns: Record<string, ColumnSpec> = {};
  for (const raw of asList(owner.columns)) {
    const column = asDict(raw);
    if (typeof column.name !== 'string')
      throw new DemaError('PARSE_YAML', `${where()}: a column without a name.`, {
        hint: 'Every entry under columns: needs name:.',
      });
    const config = asDict(column.config);
    columns[column.name] = {
      name: column.name,
      description: String(column.description ?? ''),
      ...(column.data_type ? { dataType: String(column.data_type) } : {}),
      meta: { ...asDict(column.meta), ...asDict(config.meta) },
      tags: asList(column.tags ?? config.tags).map(String),
      tests: testsOf(column, () => `${where()} column ${String(column.name)}`),
    };
  }
  return columns;
}

function patchFrom(entry: Dict, file: YamlFile, path: (string | number)[]): NodePatch {
  const lineOf = () => file.lineOf(path);
  const where = () => `${file.path}:${lineOf() ?? 1}`;
  const config: NodeConfig = { ...asDict(entry.config) };
  if (entry.meta) config.meta = { ...asDict(config.meta), ...asDict(entry.meta) };
  if (entry.tags) config.tags = [...asList(config.tags), ...asList(entry.tags)];
  if (entry.docs) config.docs = entry.docs;
  return {
    name: String(entry.name),
    description: String(entry.description ?? ''),
    config,
    columns: columnsOf(entry, where),
    tests: testsOf(entry, where),
    file: file.path,
    lineOf,
  };
}

export function readPropertyFiles(files: readonly YamlFile[]): PropertyFiles {
  const models = new Map<string, NodePatch>();
  const seeds = new Map<string, NodePatch>();
  const snapshots = new Map<string, NodePatch & { readonly relation?: string }>();
  const sources: SourceTableSpec[] = [];
  const exposures: ExposureSpec[] = [];
  for (const file of files) {
    const data = asDict(file.data);
    asList(data.exposures).forEach((raw, index) => {
      exposures.push({
        entry: asDict(raw),
        file: file.path,
        lineOf: () => file.lineOf(['exposures', index]),
      });
    });
    for (const [kind, target] of [
      ['models', models],
      ['seeds', seeds],
      ['snapshots', snapshots],
    ] as const)
      asList(data[kind]).forEach((raw, index) => {
        const entry = asDict(raw);
        if (typeof entry.name !== 'string')
          throw new DemaError(
            'PARSE_YAML',
            `${file.path}:${file.lineOf([kind, index]) ?? 1}: an entry under ${kind}: without a name.`,
            { hint: 'Add name: <file stem>.' },
          );
        const existing = target.get(entry.name);
        if (existing)
          throw new DemaError(
            'PARSE_YAML',
            `${file.path}:${file.lineOf([kind, index]) ?? 1}: ${kind.slice(0, -1)} "${entry.name}" is already described in ${existing.file}.`,
            {
              hint: 'Describe each node in one YAML file only.',
            },
          );
        const patch = patchFrom(entry, file, [kind, index]);
        target.set(
          entry.name,
          kind === 'snapshots' && entry.relation !== undefined
            ? { ...patch, relation: String(entry.relation) }
            : patch,
        );
      });
    asList(data.sources).forEach((raw, sourceIndex) => {
      const source = asDict(raw);
      const sourceName = String(source.name);
      const sourceConfig = asDict(source.config);
      const sourceFreshness = source.freshness ?? sourceConfig.freshness;
      const sourceLoadedAt = source.loaded_at_field ?? sourceConfig.loaded_at_field;
      asList(source.tables).forEach((rawTable, tableIndex) => {
        const table = asDict(rawTable);
        const path = ['sources', sourceIndex, 'tables', tableIndex];
        const lineOf = () => file.lineOf(path);
        const where = () => `${file.path}:${lineOf() ?? 1}`;
        const tableConfig = asDict(table.config);
        const freshness =
          'freshness' in table
            ? table.freshness
            : 'freshness' in tableConfig
              ? tableConfig.freshness
              : sourceFreshness;
        const loadedAt = table.loaded_at_field ?? tableConfig.loaded_at_field ?? sourceLoadedAt;
        sources.push({
          sourceName,
          name: String(table.name),
          schema: String(source.schema ?? source.database ?? sourceName),
          identifier: String(table.identifier ?? table.name),
          description: String(table.description ?? ''),
          sourceDescription: String(source.description ?? ''),
          ...(loadedAt ? { loadedAtField: String(loadedAt) } : {}),
          freshness: (freshness ?? null) as FreshnessSpec | null,
          columns: columnsOf(table, where),
          tests: testsOf(table, where),
          config: {
            ...sourceConfig,
            ...tableConfig,
            tags: [...asList(source.tags), ...asList(table.tags)],
            meta: { ...asDict(source.meta), ...asDict(table.meta) },
          },
          file: file.path,
          lineOf,
        });
      });
    });
  }
  return { models, seeds, snapshots, sources, exposures };
}
