{# dbt-core's cross-database macros (dbt.<name>, and plain <name>) with ClickHouse implementations.
   Each public macro dispatches like dbt-core's: the root project's clickhouse__/default__<name> first,
   then dema's clickhouse__<name>. Verified against chDB in test/integration/dbt-cross-db.test.ts. #}

{% macro any_value(expression) -%}
    {{ return(adapter.dispatch('any_value', 'dbt')(expression)) }}
{%- endmacro %}
{% macro clickhouse__any_value(expression) -%}
any({{ expression }})
{%- endmacro %}

{% macro bool_or(expression) -%}
    {{ return(adapter.dispatch('bool_or', 'dbt')(expression)) }}
{%- endmacro %}
{# max, not max(…) > 0: packages append `over (…)` to it (audit_helper), as on dbt-clickhouse. #}
{% macro clickhouse__bool_or(expression) -%}
max({{ expression }})
{%- endmacro %}

{% macro cast(field, type) -%}
    {{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}
{%- endmacro %}
{% macro clickhouse__cast(field, type) -%}
CAST({{ field }} AS {{ type }})
{%- endmacro %}

{% macro safe_cast(field, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}
{%- endmacro %}
{% macro clickhouse__safe_cast(field, type) -%}
{%- if field | string | trim | lower == 'null' -%}CAST(defaultValueOfTypeName('{{ type }}') AS {{ type }}){%- else -%}accurateCastOrNull({{ field }}, '{{ type }}'){%- endif -%}
{%- endmacro %}

{% macro cast_bool_to_text(field) -%}
    {{ return(adapter.dispatch('cast_bool_to_text', 'dbt')(field)) }}
{%- endmacro %}
{% macro clickhouse__cast_bool_to_text(field) -%}
multiIf({{ field }} is null, NULL, {{ field }} != 0, 'true', 'false')
{%- endmacro %}

{% macro concat(fields) -%}
    {{ return(adapter.dispatch('concat', 'dbt')(fields)) }}
{%- endmacro %}
{% macro clickhouse__concat(fields) -%}
concat({{ fields | join(', ') }})
{%- endmacro %}

{% macro hash(field) -%}
    {{ return(adapter.dispatch('hash', 'dbt')(field)) }}
{%- endmacro %}
{% macro clickhouse__hash(field) -%}
lower(hex(MD5(toString({{ field }}))))
{%- endmacro %}

{% macro length(expression) -%}
    {{ return(adapter.dispatch('length', 'dbt')(expression)) }}
{%- endmacro %}
{% macro clickhouse__length(expression) -%}
lengthUTF8({{ expression }})
{%- endmacro %}

{% macro position(substring_text, string_text) -%}
    {{ return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) }}
{%- endmacro %}
{% macro clickhouse__position(substring_text, string_text) -%}
positionUTF8({{ string_text }}, {{ substring_text }})
{%- endmacro %}

{% macro replace(field, old_chars, new_chars) -%}
    {{ return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) }}
{%- endmacro %}
{% macro clickhouse__replace(field, old_chars, new_chars) -%}
replaceAll({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro %}

{% macro right(string_text, length_expression) -%}
    {{ return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) }}
{%- endmacro %}
{% macro clickhouse__right(string_text, length_expression) -%}
substringUTF8({{ string_text }}, toUInt64(greatest(toInt64(lengthUTF8({{ string_text }})) - toInt64({{ length_expression }}) + 1, 1)), toUInt64(greatest(toInt64({{ length_expression }}), 0)))
{%- endmacro %}

{% macro split_part(string_text, delimiter_text, part_number) -%}
    {{ return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) }}
{%- endmacro %}
{% macro clickhouse__split_part(string_text, delimiter_text, part_number) -%}
splitByString({{ delimiter_text }}, {{ string_text }})[{{ part_number }}]
{%- endmacro %}

{% macro string_literal(value) -%}
    {{ return(adapter.dispatch('string_literal', 'dbt')(value)) }}
{%- endmacro %}
{% macro clickhouse__string_literal(value) -%}
'{{ value }}'
{%- endmacro %}

{% macro escape_single_quotes(expression) -%}
    {{ return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) }}
{%- endmacro %}
{% macro clickhouse__escape_single_quotes(expression) -%}
{{ expression | replace("'", "\\'") }}
{%- endmacro %}

{% macro equals(expr1, expr2) -%}
    {{ return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) }}
{%- endmacro %}
{% macro clickhouse__equals(expr1, expr2) -%}
(({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null))
{%- endmacro %}

{% macro intersect() -%}
    {{ return(adapter.dispatch('intersect', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__intersect() -%}
intersect distinct
{%- endmacro %}

{% macro except() -%}
    {{ return(adapter.dispatch('except', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__except() -%}
except distinct
{%- endmacro %}

{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
    {{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}
{%- endmacro %}
{% macro clickhouse__listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{%- set ordered = order_by_clause and ' by ' in order_by_clause | lower -%}
{%- if ordered -%}
  {%- set spec = (order_by_clause | lower).split(' by ')[1] | trim -%}
  {%- set descending = spec.endswith(' desc') -%}
  {%- set field = spec.replace(' desc', '').replace(' asc', '') | trim -%}
  {#- (value, key) tuples keep each value with its key (groupArray skips NULLs; a tuple is never NULL). -#}
  {%- set values = 'arrayMap(x -> assumeNotNull(x.1), array' ~ ('ReverseSort' if descending else 'Sort') ~ '(x -> x.2, groupArrayIf((' ~ measure ~ ', ' ~ field ~ '), isNotNull(' ~ measure ~ '))))' -%}
{%- else -%}
  {%- set values = 'groupArray(' ~ measure ~ ')' -%}
{%- endif -%}
arrayStringConcat({% if limit_num %}arraySlice({{ values }}, 1, {{ limit_num }}){% else %}{{ values }}{% endif %}, {{ delimiter_text }})
{%- endmacro %}
