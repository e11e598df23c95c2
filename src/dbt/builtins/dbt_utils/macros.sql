{# The most used dbt_utils macros, for ClickHouse. Called as dbt_utils.<name>(…). #}

{% macro generate_surrogate_key(field_list) -%}
{%- set fields = [] -%}
{%- for field in field_list -%}
    {%- do fields.append("coalesce(toString(" ~ field ~ "), '_dbt_utils_surrogate_key_null_')") -%}
    {%- if not loop.last %}{% do fields.append("'-'") %}{% endif -%}
{%- endfor -%}
lower(hex(MD5(concat({{ fields | join(', ') }}))))
{%- endmacro %}

{% macro surrogate_key(field_list) -%}
{{ exceptions.raise_compiler_error("dbt_utils.surrogate_key has been replaced by dbt_utils.generate_surrogate_key (dbt_utils 1.0); note the hashing of nulls changed.") }}
{%- endmacro %}

{% macro get_filtered_columns_in_relation(from, except=[]) -%}
{%- if not execute -%}{{ return([]) }}{%- endif -%}
{%- set include_cols = [] -%}
{%- set lowered_except = except | map('lower') | list -%}
{%- for col in adapter.get_columns_in_relation(from) -%}
    {%- if col.column | lower not in lowered_except -%}{% do include_cols.append(col.column) %}{%- endif -%}
{%- endfor -%}
{{ return(include_cols) }}
{%- endmacro %}

{% macro star(from, relation_alias=false, except=[], prefix='', suffix='', quote_identifiers=true) -%}
{%- if not execute -%}*{%- else -%}
{%- set cols = dbt_utils.get_filtered_columns_in_relation(from, except) -%}
{%- if cols | length == 0 -%}*{%- else -%}
{%- for col in cols -%}
    {%- if relation_alias %}{{ relation_alias }}.{% endif -%}
    {%- if quote_identifiers %}`{{ col }}`{% else %}{{ col }}{% endif -%}
    {%- if prefix != '' or suffix != '' %} as {% if quote_identifiers %}`{{ prefix ~ col ~ suffix }}`{% else %}{{ prefix ~ col ~ suffix }}{% endif %}{% endif -%}
    {%- if not loop.last %},
    {% endif -%}
{%- endfor -%}
{%- endif -%}
{%- endif -%}
{%- endmacro %}

{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
{%- if not execute -%}{{ return(default if default is not none else []) }}{%- endif -%}
{%- set sql -%}
select {{ column }} as value
from {{ table }}
{% if where is not none %}where {{ where }}{% endif %}
group by {{ column }}
order by {{ order_by }}
{% if max_records is not none %}limit {{ max_records }}{% endif %}
{%- endset -%}
{%- set result = run_query(sql) -%}
{{ return(result.columns[0].values()) }}
{%- endmacro %}

{% macro pivot(column, values, alias=true, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=true, distinct=false) -%}
{%- for value in values -%}
    {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ escape_single_quotes(value) }}' then {{ then_value }} else {{ else_value }} end)
    {%- if alias %} as {% if quote_identifiers %}`{{ prefix ~ value ~ suffix }}`{% else %}{{ prefix ~ value ~ suffix }}{% endif %}{% endif -%}
    {%- if not loop.last %},
    {% endif -%}
{%- endfor -%}
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
select date_add({{ datepart }}, number, toDateTime({{ start_date }})) as date_{{ datepart }}
from numbers(toUInt64(greatest(dateDiff('{{ datepart }}', toDateTime({{ start_date }}), toDateTime({{ end_date }})), 0)))
{%- endmacro %}

{% macro union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation', where=none) -%}
{%- if not execute -%}select 1{%- else -%}
{%- set column_types = {} -%}
{%- set column_order = [] -%}
{%- set relation_columns = {} -%}
{%- for relation in relations -%}
    {%- set names = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if (not include or col.column in include) and col.column not in exclude -%}
            {%- if col.column not in column_order %}{% do column_order.append(col.column) %}{% do column_types.update({col.column: col.data_type}) %}{% endif -%}
            {%- do names.append(col.column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do relation_columns.update({relation.render(): names}) -%}
{%- endfor -%}
{%- for relation in relations %}
(
    select
        {% if source_column_name %}toString('{{ relation.render() | replace("'", "\\'") }}') as {{ source_column_name }},{% endif %}
        {% for name in column_order -%}
        {%- if name in relation_columns[relation.render()] %}`{{ name }}`{% else %}CAST(NULL AS Nullable({{ column_types[name] }})){% endif %} as `{{ name }}`{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
)
{% if not loop.last %}union all{% endif %}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}
