import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DemaError } from '../../errors.ts';
import { readYamlFile, type YamlFile } from '../project/yaml-file.ts';
import { INDIRECT_MODES, type IndirectSelection, type SelectionSpec } from './selection-spec.ts';

/**
 * selectors.yml at the project root (dbt-semantics.md §1.7; core/dbt/config/selectors.py and
 * selector_config.py): named definitions turned into selection trees. A definition is a CLI-style
 * string, a one-key `{method: value}`, a full `{method, value, parents, children, …, exclude}`, or
 * `{union: […]}` / `{intersection: […]}` whose items may include one `{exclude: […]}`. `selector`
 * as a method inlines a selector defined earlier in the file, as dbt requires.
 */

export interface NamedSelector {
  readonly name: string;
  readonly description?: string;
  readonly isDefault: boolean;
  readonly spec: SelectionSpec;
}

export interface SelectorsFile {
  readonly selectors: ReadonlyMap<string, NamedSelector>;
  readonly defaultName?: string;
}

const FILE = 'selectors.yml';
const FULL_KEYS = new Set([
  'method',
  'value',
  'parents',
  'children',
  'parents_depth',
  'children_depth',
  'childrens_parents',
  'indirect_selection',
  'exclude',
]);

class Reader {
  constructor(
    private readonly file: YamlFile,
    private readonly indirect: IndirectSelection,
    private readonly earlier: Map<string, NamedSelector>,
  ) {}

  fail(path: (string | number)[], message: string, hint?: string): never {
    const line = this.file.lineOf(path);
    throw new DemaError('PARSE_YAML', `${this.file.path}${line ? `:${line}` : ''}: ${message}`, {
      hint: hint ?? 'See https://docs.getdbt.com/reference/node-selection/yaml-selectors for the syntax.',
    });
  }

  definition(value: unknown, path: (string | number)[]): SelectionSpec {
    if (typeof value === 'string') return this.cliString(value);
    if (!value || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, `a selector definition must be a string or a mapping, got ${JSON.stringify(value)}.`);
    const record = value as Record<string, unknown>;
    if ('union' in record || 'intersection' in record) {
      const kind = 'union' in record ? 'union' : 'intersection';
      if (Object.keys(record).length > 1)
        this.fail(
          path,
          `only a single 'union' or 'intersection' key is allowed in a definition; found ${Object.keys(record).join(',')}.`,
        );
      return this.setOperation(kind, record[kind], [...path, kind]);
    }
    return this.methodDefinition(record, path);
  }

  /** A CLI-style string: the same grammar as --select (space = union, comma = intersection). */
  private cliString(text: string): SelectionSpec {
    const indirect = this.indirect;
    return {
      kind: 'union',
      raw: text,
      indirect,
      components: text
        .split(/\s+/)
        .filter(Boolean)
        .map((term) => ({
          kind: 'intersection',
          raw: term,
          indirect,
          components: term
            .split(',')
            .filter(Boolean)
            .map((part) => ({ kind: 'criteria', terms: [part], raw: part, indirect })),
        })),
    };
  }

  private setOperation(
    kind: 'union' | 'intersection',
    items: unknown,
    path: (string | number)[],
  ): SelectionSpec {
    if (!Array.isArray(items)) this.fail(path, `'${kind}' must be a list of definitions.`);
    const include: SelectionSpec[] = [];
    let exclude: SelectionSpec | undefined;
    items.forEach((item, i) => {
      if (item && typeof item === 'object' && !Array.isArray(item) && 'exclude' in item) {
        if (exclude)
          this.fail([...path, i], `you cannot provide multiple exclude arguments to the same '${kind}'.`);
        exclude = this.exclusions((item as Record<string, unknown>).exclude, [...path, i, 'exclude']);
      } else include.push(this.definition(item, [...path, i]));
    });
    const combined: SelectionSpec = { kind, raw: kind, indirect: 'eager', components: include };
    return exclude
      ? { kind: 'difference', raw: kind, indirect: 'eager', components: [combined, exclude] }
      : combined;
  }

  private exclusions(items: unknown, path: (string | number)[]): SelectionSpec {
    if (!Array.isArray(items)) this.fail(path, "'exclude' must be a list of definitions.");
    const parts = items.map((item, i) => this.definition(item, [...path, i]));
    return parts.length === 1
      ? parts[0]!
      : { kind: 'union', raw: 'exclude', indirect: 'eager', components: parts };
  }

  private methodDefinition(record: Record<string, unknown>, path: (string | number)[]): SelectionSpec {
    const keys = Object.keys(record);
    let full: Record<string, unknown>;
    if (keys.length === 1) full = { method: keys[0], value: record[keys[0]!] };
    else if ('method' in record && 'value' in record) full = record;
    else this.fail(path, `expected either 1 key or else "method" and "value" keys, got: ${keys.join(', ')}.`);
    for (const key of Object.keys(full))
      if (!FULL_KEYS.has(key)) this.fail([...path, key], `unknown key '${key}' in a selector definition.`);
    const method = String(full.method);
    const value = full.value;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      this.fail([...path, 'value'], `the value of method '${method}' must be a string.`);
    let base: SelectionSpec;
    if (method === 'selector') {
      const other = this.earlier.get(String(value));
      if (!other)
        this.fail(
          [...path, 'value'],
          `existing selector definition for '${String(value)}' not found.`,
          `A selector can only use selectors defined above it in ${FILE}.`,
        );
      base = other.spec;
    } else base = this.criteria(method, String(value), full, path);
    if (!('exclude' in full)) return base;
    return {
      kind: 'difference',
      raw: method,
      indirect: 'eager',
      components: [base, this.exclusions(full.exclude, [...path, 'exclude'])],
    };
  }

  private criteria(
    method: string,
    value: string,
    full: Record<string, unknown>,
    path: (string | number)[],
  ): SelectionSpec {
    const flag = (key: string) => {
      const given = full[key];
      if (given === undefined) return false;
      if (typeof given !== 'boolean') this.fail([...path, key], `'${key}' must be true or false.`);
      return given;
    };
    const depth = (key: string) => {
      const given = full[key];
      if (given === undefined || given === null) return '';
      if (!Number.isInteger(given) || (given as number) < 0)
        this.fail([...path, key], `'${key}' must be a whole number.`);
      return String(given);
    };
    const indirect = full.indirect_selection ?? this.indirect;
    if (!INDIRECT_MODES.includes(indirect as IndirectSelection))
      this.fail(
        [...path, 'indirect_selection'],
        `indirect_selection '${String(indirect)}' is not one of ${INDIRECT_MODES.join(', ')}.`,
      );
    const matched = `${method}:${value}`;
    const [parentsDepth, childrenDepth] = [depth('parents_depth'), depth('children_depth')];
    const parents = flag('parents') ? `${parentsDepth}+` : '';
    const children = flag('children') ? `+${childrenDepth}` : '';
    const terms = [`${parents}${matched}${children}`];
    // childrens_parents is dbt's `@`: the children, and every ancestor of those children.
    if (flag('childrens_parents')) terms.push(`@${matched}`);
    return {
      kind: 'criteria',
      terms,
      raw: JSON.stringify(full),
      indirect: indirect as IndirectSelection,
    };
  }
}

/** Reads `<project>/selectors.yml` (none: no selectors). `indirect`: the flag's mode, their default. */
export function loadSelectors(projectDir: string, indirect: IndirectSelection): SelectorsFile {
  const absolute = join(projectDir, FILE);
  if (!existsSync(absolute)) return { selectors: new Map() };
  const file = readYamlFile(absolute, FILE);
  const selectors = new Map<string, NamedSelector>();
  const reader: Reader = new Reader(file, indirect, selectors);
  const list = (file.data as { selectors?: unknown } | null)?.selectors;
  if (!Array.isArray(list)) reader.fail([], "expected a top-level 'selectors:' list.");
  let defaultName: string | undefined;
  list.forEach((entry, i) => {
    const item = entry as Record<string, unknown> | null;
    if (!item || typeof item !== 'object' || typeof item.name !== 'string')
      reader.fail(['selectors', i], 'each selector needs a name.');
    if (!('definition' in item)) reader.fail(['selectors', i], `selector '${item.name}' has no definition.`);
    if (selectors.has(item.name))
      reader.fail(['selectors', i, 'name'], `selector '${item.name}' is defined twice.`);
    // dbt renders Jinja in selectors.yml (`default: "{{ target.name == 'prod' | as_bool }}"`); dema
    // does not: anything but a boolean is refused, never silently "not default".
    if (item.default !== undefined && typeof item.default !== 'boolean')
      reader.fail(
        ['selectors', i, 'default'],
        `'default' must be true or false, got ${JSON.stringify(item.default)} (dema does not render Jinja in selectors.yml).`,
      );
    const isDefault = item.default === true;
    if (isDefault && defaultName)
      reader.fail(
        ['selectors', i, 'default'],
        `found multiple selectors with 'default: true': '${defaultName}' and '${item.name}'.`,
      );
    if (isDefault) defaultName = item.name;
    const spec = reader.definition(item.definition, ['selectors', i, 'definition']);
    selectors.set(item.name, {
      name: item.name,
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
      isDefault,
      spec,
    });
  });
  return { selectors, ...(defaultName ? { defaultName } : {}) };
}

/** The named selector, or a coded error naming selectors.yml and the names it has. */
export function getSelector(file: SelectorsFile, name: string): NamedSelector {
  const found = file.selectors.get(name);
  if (found) return found;
  const names = [...file.selectors.keys()];
  throw new DemaError(
    'SELECT_INVALID',
    `--selector ${name}: no selector named '${name}'${names.length ? ` in ${FILE}` : ` (no ${FILE} at the project root)`}.`,
    {
      hint: names.length
        ? `Defined selectors: ${names.join(', ')}.`
        : `Define it in ${FILE} next to dbt_project.yml: selectors: [{name: ${name}, definition: 'tag:…'}].`,
    },
  );
}
