{# dema's ClickHouse implementations of dbt_utils' dispatched macros whose default SQL does not run on
   ClickHouse (registered in the installed dbt_utils' namespace; see src/dbt/deps/README.md). #}

{# ClickHouse has no database level above schemas, so `<database>.information_schema.tables` with
   dbt-clickhouse's empty database is a syntax error; system.tables lists every table and view. #}
{% macro clickhouse__get_tables_by_pattern_sql(schema_pattern, table_pattern, exclude='', database=target.database) %}
        select distinct
            database as {{ adapter.quote('table_schema') }},
            name as {{ adapter.quote('table_name') }},
            multiIf(engine = 'View', 'view', engine = 'MaterializedView', 'materializedview', 'table') as {{ adapter.quote('table_type') }}
        from system.tables
        where not is_temporary
        and database ilike '{{ schema_pattern }}'
        and name ilike '{{ table_pattern }}'
        and name not ilike '{{ exclude }}'
{% endmacro %}

{# ClickHouse's lead() yields the type's default (0, '') past the last row, not NULL, so the last
   range of every partition would look like it overlaps the next one: lead over a Nullable. #}
{% macro clickhouse__test_mutually_exclusive_ranges(model, lower_bound_column, upper_bound_column, partition_by=None, gaps='allowed', zero_length_range_allowed=False) %}
{%- if gaps == 'allowed' -%}{%- set gap_operator = '<=' -%}
{%- elif gaps == 'not_allowed' -%}{%- set gap_operator = '=' -%}
{%- elif gaps == 'required' -%}{%- set gap_operator = '<' -%}
{%- else -%}{{ exceptions.raise_compiler_error("`gaps` argument for mutually_exclusive_ranges test must be one of ['not_allowed', 'allowed', 'required'] Got: '" ~ gaps ~ "'.'") }}
{%- endif -%}
{%- set length_operator = '<=' if zero_length_range_allowed else '<' -%}
with bounds as (
    select
        {% if partition_by %}{{ partition_by }},{% endif %}
        {{ lower_bound_column }} as lower_bound,
        {{ upper_bound_column }} as upper_bound,
        lead(toNullable({{ lower_bound_column }})) over (
            {% if partition_by %}partition by {{ partition_by }}{% endif %}
            order by {{ lower_bound_column }}, {{ upper_bound_column }}
        ) as next_lower_bound
    from {{ model }}
)
select * from bounds
where not (
    coalesce(lower_bound {{ length_operator }} upper_bound, false)
    and coalesce(upper_bound {{ gap_operator }} next_lower_bound, next_lower_bound is null)
)
{% endmacro %}

{# ClickHouse's CAST(NULL AS String) is an error, not NULL, so a NULL key part must be turned to
   text with toString (which keeps NULL) before the coalesce; the hash is otherwise the same. #}
{% macro clickhouse__generate_surrogate_key(field_list) -%}
{%- set null_text = '' if var('surrogate_key_treat_nulls_as_empty_strings', False) else '_dbt_utils_surrogate_key_null_' -%}
{%- set parts = [] -%}
{%- for field in field_list -%}
    {%- do parts.append("coalesce(toString(" ~ field ~ "), '" ~ null_text ~ "')") -%}
    {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
{%- endfor -%}
{{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{# ClickHouse reads `data natural join row_numbered` without an error but joins nothing (no NATURAL
   JOIN), so the default returns no rows; LIMIT 1 BY keeps the first row of each partition. #}
{%- macro clickhouse__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
    limit 1 by {{ partition_by }}
{%- endmacro -%}

{# A column missing from one of the relations is filled with CAST(NULL AS <type>), which ClickHouse
   refuses for a non-Nullable type; the filler is NULL of the Nullable type (LowCardinality's
   Nullable goes inside; Array/Map/Tuple cannot be Nullable and get their empty value), and UNION ALL
   takes the common type. Otherwise as dbt_utils: columns in first-seen order, include/exclude
   case-insensitive, column_override, where, the source column. #}
{%- macro clickhouse__union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation', where=none) -%}
{%- if exclude and include -%}
    {{ exceptions.raise_compiler_error("Both an exclude and include list were provided to the `union` macro. Only one is allowed") }}
{%- endif -%}
{%- if not execute -%}{{ return('') }}{%- endif -%}
{%- set overrides = column_override if column_override is not none else {} -%}
{%- set wanted = include | map('lower') | list -%}
{%- set unwanted = exclude | map('lower') | list -%}
{%- set names = [] -%}
{%- set types = {} -%}
{%- set present = {} -%}
{%- for relation in relations -%}
    {%- do dbt_utils._is_relation(relation, 'union_relations') -%}
    {%- set here = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- set key = col.column | lower -%}
        {%- if (not include or key in wanted) and key not in unwanted -%}
            {%- do here.append(key) -%}
            {%- if key not in types -%}
                {%- do names.append(col.column) -%}
                {%- do types.update({key: overrides.get(col.column, col.data_type)}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do present.update({relation.render(): here}) -%}
{%- endfor -%}
{%- if (include or exclude) and not names -%}
    {{ exceptions.raise_compiler_error("There were no columns found to union for relations " ~ relations | map(attribute='name') | join(', ')) }}
{%- endif -%}
{%- for relation in relations %}
    (
        select
            {%- if source_column_name is not none %}
            cast({{ dbt.string_literal(relation.render()) }} as String) as {{ adapter.quote(source_column_name) }}{% if names %},{% endif %}
            {%- endif %}
            {%- for name in names %}
            {%- set type = types[name | lower] %}
            {%- if name | lower in present[relation.render()] %}
            cast({{ adapter.quote(name) }} as {{ type }}) as {{ adapter.quote(name) }}
            {%- elif type.startswith('Nullable(') %}
            cast(null as {{ type }}) as {{ adapter.quote(name) }}
            {%- elif type.startswith('LowCardinality(') %}
            cast(null as LowCardinality(Nullable({{ type[15:-1] }}))) as {{ adapter.quote(name) }}
            {%- elif type.startswith('Array(') or type.startswith('Map(') or type.startswith('Tuple(') %}
            defaultValueOfTypeName('{{ type }}') as {{ adapter.quote(name) }}
            {%- else %}
            cast(null as Nullable({{ type }})) as {{ adapter.quote(name) }}
            {%- endif %}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    )
    {% if not loop.last %}union all{% endif %}
{%- endfor -%}
{%- endmacro -%}

{# lag() on ClickHouse gives the first row a previous value of 0 ('', 1970-01-01), not NULL, so the
   first value is checked against it; lag over a Nullable leaves the first row out, as elsewhere. #}
{% macro clickhouse__test_sequential_values(model, column_name, interval=1, datepart=None, group_by_columns=[]) %}
with windowed as (
    select
        {% for column in group_by_columns %}{{ column }}, {% endfor %}
        {{ column_name }} as current_value,
        lag(toNullable({{ column_name }})) over (
            {% if group_by_columns %}partition by {{ group_by_columns | join(', ') }}{% endif %}
            order by {{ column_name }}
        ) as previous_value
    from {{ model }}
)
select * from windowed
{% if datepart %}
where not(cast(current_value as Nullable({{ dbt.type_timestamp() }})) = cast({{ dbt.dateadd(datepart, interval, 'previous_value') }} as Nullable({{ dbt.type_timestamp() }})))
{% else %}
where not(current_value = previous_value + {{ interval }})
{% endif %}
{% endmacro %}
