import { splitArgs } from '../jinja/environment.ts';
import { Relation } from '../jinja/relation.ts';
import { agateTable } from './agate.ts';
import type { ProjectContext } from './context.ts';

/**
 * dbt's `adapter` object: the BaseAdapter methods projects and packages call (dbt-semantics.md §3.3).
 * Reads answer from the relation cache loaded before the node runs; writes run through the
 * transport's synchronous query (templates render synchronously) and keep the cache in step.
 * At parse time (no runtime) reads find nothing and writes do nothing, as dbt's parse does.
 */

const quote = (name: unknown) => `\`${String(name).replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

/**
 * A column as dbt-clickhouse's ClickHouseColumn: `dtype` is the type without its LowCardinality(…)
 * and then Nullable(…) wrapper (what packages compare, e.g. dbt_expectations' of_type and codegen's
 * data_type); `data_type` is the whole type ClickHouse reports.
 */
export function columnObject(column: { name: string; type: string }) {
  const inner = column.type
    .trim()
    .replace(/^LowCardinality\((.*)\)$/, '$1')
    .replace(/^Nullable\((.*)\)$/, '$1');
  return {
    name: column.name,
    column: column.name,
    data_type: column.type,
    dtype: inner,
    quoted: quote(column.name),
    is_string: () => /String/.test(inner),
    is_number: () => /Int|Float|Decimal/.test(inner),
    is_integer: () => /^U?Int\d+$/.test(inner),
    is_float: () => /^Float/.test(inner),
    is_numeric: () => /^Decimal/.test(inner),
    string_size: () => Number(/^FixedString\((\d+)\)$/.exec(inner)?.[1] ?? 256),
  };
}

/** A relation argument: a Relation, or a dict with schema/identifier (dbt accepts both). */
function relationArg(value: unknown): Relation {
  if (value instanceof Relation) return value;
  const given = (value ?? {}) as Record<string, unknown>;
  return new Relation(
    String(given.schema ?? ''),
    String(given.identifier ?? given.name ?? ''),
    given.type as Relation['type'],
  );
}

export function buildAdapter(project: ProjectContext) {
  const runtime = () => project.runtime;
  const sql = (text: string) => {
    const live = runtime();
    return live ? live.warehouse.querySync(text) : [];
  };
  const columnsOf = (relation: unknown) => {
    const live = runtime();
    if (!live) return [];
    const { schema, identifier } = relationArg(relation);
    return live.cache.columns(schema, identifier);
  };
  const getRelation = (...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const schema = String(kwargs.schema ?? positional[1] ?? '');
    const identifier = String(kwargs.identifier ?? positional[2] ?? '');
    return runtime()?.cache.get(schema, identifier) ?? null;
  };
  const dropRelation = (relation: unknown) => {
    const target = relationArg(relation);
    if (target.type === 'cte' || !runtime()) return '';
    const kind = target.type === 'view' ? 'view' : 'table';
    sql(`drop ${kind} if exists ${quote(target.schema)}.${quote(target.identifier)}`);
    runtime()!.cache.forget(target.schema, target.identifier);
    return '';
  };
  return {
    dispatch: (name: string, namespace?: string) => project.registry.dispatch(name, namespace),
    type: () => 'clickhouse',
    quote,
    quote_as_configured: (identifier: unknown) => quote(identifier),
    quote_seed_column: (column: unknown, quoteColumns?: unknown) =>
      quoteColumns === false ? String(column) : quote(column),
    get_relation: getRelation,
    load_relation: (relation: unknown) => {
      const target = relationArg(relation);
      return runtime()?.cache.get(target.schema, target.identifier) ?? null;
    },
    get_columns_in_relation: (relation: unknown) => columnsOf(relation).map(columnObject),
    get_missing_columns: (from: unknown, to: unknown) => {
      const have = new Set(columnsOf(to).map((column) => column.name));
      return columnsOf(from)
        .filter((column) => !have.has(column.name))
        .map(columnObject);
    },
    // ClickHouse columns have exact types; dbt-clickhouse's expand is a no-op too.
    expand_target_column_types: () => '',
    check_schema_exists: (_database: unknown, schema: unknown) =>
      runtime() ? sql(`select 1 from system.databases where name = '${esc(schema)}'`).length > 0 : false,
    list_schemas: () => sql('select name from system.databases').map((row) => String(row.name)),
    list_relations_without_caching: (schemaRelation: unknown) => {
      const { schema } = relationArg(schemaRelation);
      return sql(`select name, engine from system.tables where database = '${esc(schema)}'`).map(
        (row) => new Relation(schema, String(row.name), String(row.engine) === 'View' ? 'view' : 'table'),
      );
    },
    create_schema: (relation: unknown) => {
      sql(`create database if not exists ${quote(relationArg(relation).schema)}`);
      return '';
    },
    drop_schema: (relation: unknown) => {
      sql(`drop database if exists ${quote(relationArg(relation).schema)}`);
      return '';
    },
    drop_relation: dropRelation,
    truncate_relation: (relation: unknown) => {
      const target = relationArg(relation);
      sql(`truncate table if exists ${quote(target.schema)}.${quote(target.identifier)}`);
      return '';
    },
    rename_relation: (from: unknown, to: unknown) => {
      const source = relationArg(from);
      const target = relationArg(to);
      if (!runtime()) return '';
      sql(
        `rename table ${quote(source.schema)}.${quote(source.identifier)} to ${quote(target.schema)}.${quote(target.identifier)}`,
      );
      const known = runtime()!.cache.get(source.schema, source.identifier);
      runtime()!.cache.forget(source.schema, source.identifier);
      runtime()!.cache.put(new Relation(target.schema, target.identifier, known?.type ?? 'table'));
      return '';
    },
    execute: (text: unknown, ...rest: unknown[]) => {
      const { positional, kwargs } = splitArgs(rest);
      const rows = sql(String(text));
      const fetch = positional[1] === true || kwargs.fetch === true;
      return [{ _message: 'OK', rows_affected: rows.length }, agateTable(fetch ? rows : [])];
    },
    commit: () => '',
    begin: () => '',
  };
}

const esc = (value: unknown) => String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'");
