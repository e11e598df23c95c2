{# dbt's default naming macros and small helpers; a project overrides any of them by defining its own. #}

{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- else -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if target.name == 'prod' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ default_schema }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}
        {{ custom_alias_name | trim }}
    {%- else -%}
        {{ node.name }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set filtered -%}(select * from {{ relation }} where {{ where }}) dbt_subquery{%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{% macro should_store_failures() -%}
    {%- set config_store_failures = config.get('store_failures') -%}
    {%- if config_store_failures is none -%}{%- set config_store_failures = flags.STORE_FAILURES -%}{%- endif -%}
    {{ return(config_store_failures) }}
{%- endmacro %}

{% macro current_timestamp() -%}now(){%- endmacro %}
{% macro type_string() -%}String{%- endmacro %}
{% macro type_timestamp() -%}DateTime{%- endmacro %}
{% macro type_int() -%}Int32{%- endmacro %}
{% macro type_bigint() -%}Int64{%- endmacro %}
{% macro type_float() -%}Float32{%- endmacro %}
{% macro type_numeric() -%}Decimal(28, 6){%- endmacro %}
{% macro type_boolean() -%}Bool{%- endmacro %}
{% macro any_value(expression) -%}any({{ expression }}){%- endmacro %}
{# max, not max(…) > 0: packages append `over (…)` to it (audit_helper), as on dbt-clickhouse. #}
{% macro bool_or(expression) -%}max({{ expression }}){%- endmacro %}
{% macro hash(field) -%}lower(hex(MD5(toString({{ field }})))){%- endmacro %}
{% macro concat(fields) -%}concat({{ fields | join(', ') }}){%- endmacro %}
{% macro cast(field, type) -%}CAST({{ field }} AS {{ type }}){%- endmacro %}
{% macro safe_cast(field, type) -%}accurateCastOrNull({{ field }}, '{{ type }}'){%- endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) -%}splitByString({{ delimiter_text }}, {{ string_text }})[{{ part_number }}]{%- endmacro %}
{% macro date_trunc(datepart, date) -%}date_trunc('{{ datepart }}', {{ date }}){%- endmacro %}
{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}date_add({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }}){%- endmacro %}
{% macro datediff(first_date, second_date, datepart) -%}dateDiff('{{ datepart }}', {{ first_date }}, {{ second_date }}){%- endmacro %}
{% macro last_day(date, datepart) -%}toLastDayOfMonth({{ date }}){%- endmacro %}
{% macro string_literal(value) -%}'{{ value }}'{%- endmacro %}
{% macro escape_single_quotes(expression) -%}{{ expression | replace("'", "\\'") }}{%- endmacro %}
