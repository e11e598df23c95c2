import { createHash } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { splitArgs } from '../jinja/environment.ts';
import { Relation } from '../jinja/relation.ts';
import type { ProjectContext } from './context.ts';
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

function columnObject(column: { name: string; type: string }) {
  return {
    name: column.name,
    column: column.name,
    data_type: column.type,
    dtype: column.type,
    quoted: `\`${column.name}\``,
    is_string: () => /String/.test(column.type),
    is_number: () => /Int|Float|Decimal/.test(column.type),
    // dbt-clickhouse: FixedString(N) has N bytes; String has no limit, reported as 256 (dbt_utils.union_relations compares it).
    string_size: () => Number(/FixedString\((\d+)\)/.exec(column.type)?.[1] ?? 256),
  };
}

const relationOf = (value: unknown): { schema: string; identifier: string } => {
  const relation = value as Relation;
  return { schema: relation.schema, identifier: relation.identifier };
};

function buildGlobals(project: ProjectContext): Record<string, unknown> {
  const columnsOf = (relation: unknown) => {
    if (!project.runtime) return [];
    const { schema, identifier } = relationOf(relation);
    return project.runtime.cache.columns(schema, identifier);
  };
  const adapter = {
    dispatch: (name: string, namespace?: string) => project.registry.dispatch(name, namespace),
    type: () => 'clickhouse',
    quote: (identifier: string) => `\`${String(identifier).replace(/`/g, '\\`')}\``,
    get_relation: (...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      const schema = String(kwargs.schema ?? positional[1] ?? '');
      const identifier = String(kwargs.identifier ?? positional[2] ?? '');
      return project.runtime?.cache.get(schema, identifier) ?? null;
    },
    get_columns_in_relation: (relation: unknown) => columnsOf(relation).map(columnObject),
    check_schema_exists: (_database: unknown, schema: unknown) =>
      project.runtime?.cache.databaseEngine(String(schema)) !== undefined,
    get_missing_columns: (from: unknown, to: unknown) => {
      const have = new Set(columnsOf(to).map((column) => column.name));
      return columnsOf(from)
        .filter((column) => !have.has(column.name))
        .map(columnObject);
    },
    commit: () => '',
  };
  return {
    target: project.target,
    project_name: project.project.name,
    dbt_version: '1.10.0',
    invocation_id: project.invocationId,
    run_started_at: pyDate(new Date(project.runStartedAt)),
    flags: project.flags,
    database: '',
    selected_resources: [],
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
    },
    print: (message: unknown) => {
      project.log('info', String(message));
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
    tojson: (value: unknown) => JSON.stringify(value),
    fromyaml: (text: string) => parseYaml(text),
    toyaml: (value: unknown) => stringifyYaml(value),
    local_md5: (text: string) => createHash('md5').update(String(text)).digest('hex'),
    zip: (...lists: unknown[][]) => lists[0]!.map((_, i) => lists.map((list) => list[i])),
    set: (items: unknown[]) => [...new Set(items)],
    doc: (name: string) => `{{ doc('${name}') }}`,
    thread_id: 'Thread-1',
  };
}
