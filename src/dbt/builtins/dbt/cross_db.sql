{# More of dbt's cross-database macros (called as dbt.<name>(…) by packages), in ClickHouse SQL as
   dbt-clickhouse writes them, and dbt's relation loaders. #}

{% macro replace(field, old_chars, new_chars) -%}replaceAll({{ field }}, {{ old_chars }}, {{ new_chars }}){%- endmacro %}
{% macro length(expression) -%}char_length({{ expression }}){%- endmacro %}
{% macro position(substring_text, string_text) -%}position({{ string_text }}, {{ substring_text }}){%- endmacro %}
{% macro right(string_text, length_expression) -%}
if({{ length_expression }} = 0, '', substring({{ string_text }}, -({{ length_expression }})))
{%- endmacro %}
{% macro except() -%}except distinct{%- endmacro %}
{% macro intersect() -%}intersect distinct{%- endmacro %}
{% macro cast_bool_to_text(field) -%}multiIf({{ field }} > 0, 'true', {{ field }} = 0, 'false', NULL){%- endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{%- if order_by_clause -%}
{%- set field = order_by_clause | replace('order by', '', 1) | trim -%}
arrayStringConcat(arraySlice(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray(({{ field }}, {{ measure }})))), 1, {{ limit_num or 'NULL' }}), {{ delimiter_text }})
{%- else -%}
arrayStringConcat({% if limit_num %}groupArray({{ limit_num }})({{ measure }}){% else %}groupArray({{ measure }}){% endif %}, {{ delimiter_text }})
{%- endif -%}
{%- endmacro %}

{% macro load_relation(relation) -%}
{{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{%- endmacro %}
{% macro load_cached_relation(relation) -%}
{{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{%- endmacro %}
