import { createHash } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { splitArgs } from '../jinja/environment.ts';
import { str } from '../jinja/py/values.ts';
import { Relation } from '../jinja/relation.ts';
import type { ProjectContext } from './context.ts';
import { buildAdapter, columnObject } from './context-adapter.ts';
import { modulesContext, pyDate } from './modules.ts';

/**
 * The names of dbt's Jinja context that are the same for every node of one invocation (target,
 * flags, adapter, modules…), built once per project context instead of once per render.
 */

const cache = new WeakMap<ProjectContext, Record<string, unknown>>();

export function projectGlobals(project: ProjectContext): Record<string, unknown> {
  let globals = cache.get(project);
  if (!globals) {
    globals = buildGlobals(project);
    cache.set(project, globals);
  }
  return globals;
}

function buildGlobals(project: ProjectContext): Record<string, unknown> {
  const adapter = buildAdapter(project);
  return {
    target: project.target,
    project_name: project.project.name,
    dbt_version: '1.10.0',
    invocation_id: project.invocationId,
    run_started_at: pyDate(new Date(project.runStartedAt)),
    flags: {
      EMPTY: false,
      FAIL_FAST: false,
      USE_COLORS: false,
      DEBUG: false,
      LOG_FORMAT: 'default',
      INTROSPECT: true,
      ...project.flags,
    },
    database: '',
    selected_resources: [...(project.selectedResources ?? [])],
    noop_statement: () => '',
    adapter,
    api: {
      Relation: {
        create: (options: Record<string, unknown>) =>
          new Relation(
            String(options.schema ?? ''),
            String(options.identifier ?? ''),
            (options.type as Relation['type']) ?? 'table',
          ),
      },
      // api.Column.create(name, dtype) as packages build column lists; ClickHouse types need no translation.
      Column: {
        create: (name: unknown, dataType: unknown) =>
          columnObject({ name: String(name), type: String(dataType) }),
        translate_type: (dataType: unknown) => String(dataType),
      },
    },
    // Python's print(): str() of the value, so a dict prints as {'a': 1} and none as None.
    print: (message: unknown) => {
      // Marked 'print': output even with --quiet, where log(info=True) is a log line (as dbt).
      project.log('info', str(message), 'print');
      return '';
    },
    modules: modulesContext(),
    fromjson: (text: string, fallback?: unknown) => {
      try {
        return JSON.parse(text);
      } catch {
        return fallback ?? null;
      }
    },
    tojson: (value: unknown, ...rest: unknown[]) => {
      const { positional, kwargs } = splitArgs(rest);
      return pythonJson(value, (kwargs.sort_keys ?? positional[0]) === true);
    },
    fromyaml: (text: string, fallback?: unknown) => {
      try {
        return parseYaml(String(text)) ?? null;
      } catch {
        return fallback ?? null;
      }
    },
    toyaml: (value: unknown) => stringifyYaml(value),
    local_md5: (text: string) => createHash('md5').update(String(text)).digest('hex'),
    // Python's zip stops at the shortest list; set() of nothing is empty; dict(**kw) is its kwargs.
    zip: (...lists: unknown[]) => zipLists(lists),
    zip_strict: (...lists: unknown[]) => zipLists(lists),
    set: (items?: unknown) => [...new Set(iterable(items))],
    set_strict: (items?: unknown) => [...new Set(iterable(items))],
    dict: (...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      const base = positional[0];
      const entries = Array.isArray(base) ? (base as [string, unknown][]) : Object.entries(base ?? {});
      return { ...Object.fromEntries(entries), ...kwargs };
    },
    load_relation: adapter.load_relation,
    load_cached_relation: adapter.load_relation,
    doc: (name: string) => `{{ doc('${name}') }}`,
    thread_id: 'Thread-1',
  };
}

function iterable(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [...value];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && Symbol.iterator in value) return [...(value as Iterable<unknown>)];
  return Object.keys(value as object);
}

function zipLists(lists: unknown[]): unknown[][] {
  const arrays = lists.map(iterable);
  const length = arrays.length === 0 ? 0 : Math.min(...arrays.map((list) => list.length));
  return Array.from({ length }, (_, i) => arrays.map((list) => list[i]));
}

/** Python's json.dumps (what dbt's tojson calls): ", " and ": " separators, non-ASCII escaped. */
export function pythonJson(value: unknown, sortKeys = false): string {
  if (value === undefined || value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'string')
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (Array.isArray(value)) return `[${value.map((item) => pythonJson(item, sortKeys)).join(', ')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => key !== '__keywords');
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item, sortKeys)}`).join(', ')}}`;
}
