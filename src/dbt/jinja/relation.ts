import { quoteIdent } from '../../warehouse/sql.ts';
import { PY_MAPPING } from './py/values.ts';

/**
 * dbt-clickhouse's relation: no database level, always `` `schema`.`identifier` `` (dbt-semantics.md §7.2).
 * Ephemeral models render as their CTE name.
 */
export class Relation {
  readonly database = '';
  /** A Mapping to Jinja's `is mapping`, as dbt's relations are. */
  readonly [PY_MAPPING] = true;

  constructor(
    readonly schema: string,
    readonly identifier: string,
    readonly type: 'table' | 'view' | 'cte' | 'materialized_view' | 'dictionary' | undefined = undefined,
  ) {}

  get name(): string {
    return this.identifier;
  }

  get table(): string {
    return this.identifier;
  }

  get is_table(): boolean {
    return this.type === 'table';
  }

  get is_view(): boolean {
    return this.type === 'view';
  }

  get is_cte(): boolean {
    return this.type === 'cte';
  }

  /** dbt's relations are Mappings: dbt_utils' `_is_relation` reads `obj.get('metadata', {}).get('type')`. */
  get(key: string, fallback?: unknown): unknown {
    if (key === 'metadata') return { type: 'ClickHouseRelation' };
    const value = (this as unknown as Record<string, unknown>)[key];
    return value === undefined || typeof value === 'function' ? fallback : value;
  }

  render(): string {
    if (this.type === 'cte') return this.identifier;
    return this.schema
      ? `${quoteIdent(this.schema)}.${quoteIdent(this.identifier)}`
      : quoteIdent(this.identifier);
  }

  toString(): string {
    return this.render();
  }

  include(): Relation {
    return this;
  }

  incorporate(
    options: { path?: { schema?: string; identifier?: string }; type?: Relation['type'] } = {},
  ): Relation {
    return new Relation(
      options.path?.schema ?? this.schema,
      options.path?.identifier ?? this.identifier,
      options.type ?? this.type,
    );
  }
}

/**
 * dbt's relation with a `limit` (dbt-adapters' render_limited; --empty gives 0): `{{ ref('x') }}`
 * prints a subquery that reads no rows, while `render()`, `.schema` and `.identifier` stay the
 * relation's own. No `_dbt_limit_subq_x` alias: dbt-clickhouse sets require_alias = False
 * (ClickHouse/dbt-clickhouse#487), so a model's own `{{ ref('x') }} as x` stays valid SQL.
 */
export class LimitedRelation extends Relation {
  constructor(
    relation: Relation,
    readonly limit: number,
    /** `false` (dbt's text); `0` on an engine without boolean literals (ClickHouse 18.x). */
    private readonly never = 'false',
  ) {
    super(relation.schema, relation.identifier, relation.type);
  }

  override toString(): string {
    return this.limit === 0
      ? `(select * from ${this.render()} where ${this.never} limit 0)`
      : `(select * from ${this.render()} limit ${this.limit})`;
  }
}
