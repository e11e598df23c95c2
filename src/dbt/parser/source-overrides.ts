import type { YamlFile } from '../project/yaml-file.ts';

/**
 * dbt's source `overrides:` (dbt-core `SourcePatcher.patch_source`): a root-project source entry
 * with `overrides: <package>` is not a source of its own; its keys replace those of the package's
 * source of the same name (a shallow update, `tables` excepted), and each table it lists replaces
 * the keys of the package's table of that name. Applied to the package's YAML before it is read.
 */

type Dict = Record<string, unknown>;
const asDict = (value: unknown): Dict =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export interface SourceOverride {
  readonly entry: Dict;
  /** Where the override is written, for messages. */
  readonly where: string;
}

/** package → source name → the override; the root's entries with `overrides:` (taken out of `files`). */
export function takeSourceOverrides(files: readonly YamlFile[]): {
  files: YamlFile[];
  overrides: Map<string, Map<string, SourceOverride>>;
} {
  const overrides = new Map<string, Map<string, SourceOverride>>();
  const kept = files.map((file) => {
    const data = asDict(file.data);
    const sources = asList(data.sources);
    if (!sources.some((source) => asDict(source).overrides !== undefined)) return file;
    const own: unknown[] = [];
    sources.forEach((raw, index) => {
      const source = asDict(raw);
      if (source.overrides === undefined) {
        own.push(raw);
        return;
      }
      const byName = overrides.get(String(source.overrides)) ?? new Map<string, SourceOverride>();
      byName.set(String(source.name), {
        entry: source,
        where: `${file.path}:${file.lineOf(['sources', index]) ?? 1}`,
      });
      overrides.set(String(source.overrides), byName);
    });
    return { ...file, data: { ...data, sources: own }, lineOf: file.lineOf };
  });
  return { files: kept, overrides };
}

/** The package's YAML files with the root's overrides applied to its sources. */
export function applySourceOverrides(
  files: readonly YamlFile[],
  overrides: ReadonlyMap<string, SourceOverride> | undefined,
): YamlFile[] {
  if (!overrides || overrides.size === 0) return [...files];
  return files.map((file) => {
    const data = asDict(file.data);
    const sources = asList(data.sources);
    if (!sources.some((raw) => overrides.has(String(asDict(raw).name)))) return file;
    const patched = sources.map((raw) => {
      const source = asDict(raw);
      const override = overrides.get(String(source.name))?.entry;
      if (!override) return raw;
      const { tables: overrideTables, overrides: _package, name: _name, ...sourceKeys } = override;
      const tableOverrides = new Map(
        asList(overrideTables).map((table) => [String(asDict(table).name), asDict(table)]),
      );
      return {
        ...source,
        ...sourceKeys,
        tables: asList(source.tables).map((table) => ({
          ...asDict(table),
          ...(tableOverrides.get(String(asDict(table).name)) ?? {}),
        })),
      };
    });
    return { ...file, data: { ...data, sources: patched }, lineOf: file.lineOf };
  });
}
