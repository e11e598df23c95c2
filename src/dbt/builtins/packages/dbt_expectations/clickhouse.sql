{# dema's ClickHouse versions of dbt_expectations macros (see src/dbt/deps/README.md). A
   `clickhouse__` macro joins the package's dispatch; a macro of another name replaces the
   package's own, for tests that are not dispatched but give wrong results on ClickHouse. #}

{# No WITHIN GROUP on ClickHouse; quantileExactInclusive interpolates as percentile_cont does. #}
{% macro clickhouse__quantile(field, quantile, partition) -%}
    quantileExactInclusive({{ quantile }})({{ field }})
    {%- if partition %} over (partition by {{ partition }}){% endif -%}
{%- endmacro %}

{# lag() gives the first row 0 instead of NULL on ClickHouse, so the first value would be compared
   with 0: lag over a Nullable, and rows without a previous value are left out (as elsewhere). #}
{% macro dema_ch__monotonic(model, column_name, sort_column, operator, row_condition, group_by, step, step_sign) %}
with ordered as (
    select
        {% if group_by %}{{ group_by | join(', ') }},{% endif %}
        {{ sort_column or column_name }} as sort_column,
        {{ column_name }} as value_field
    from {{ model }}
    {% if row_condition %}where {{ row_condition }}{% endif %}
),
with_previous as (
    select *, lag(toNullable(value_field)) over (
        {% if group_by %}partition by {{ group_by | join(', ') }}{% endif %} order by sort_column
    ) as value_field_lag
    from ordered
)
select * from with_previous
where value_field_lag is not null
and not (
    value_field {{ operator }} value_field_lag
    {% if step %}and {{ step_sign }}(value_field - value_field_lag) = {{ step }}{% endif %}
)
{% endmacro %}

{% test expect_column_values_to_be_increasing(model, column_name, sort_column=None, strictly=True, row_condition=None, group_by=None, step=None) %}
{{ dbt_expectations.dema_ch__monotonic(model, column_name, sort_column, '>' if strictly else '>=', row_condition, group_by, step, '') }}
{% endtest %}

{% test expect_column_values_to_be_decreasing(model, column_name, sort_column=None, strictly=True, row_condition=None, group_by=None, step=None) %}
{{ dbt_expectations.dema_ch__monotonic(model, column_name, sort_column, '<' if strictly else '<=', row_condition, group_by, step, '-') }}
{% endtest %}

{# ClickHouse's rand() is a UInt32, not a float in [0, 1) as on other warehouses: randCanonical is. #}
{% macro clickhouse__rand() -%}
    randCanonical()
{%- endmacro %}

{# ClickHouse's regex engine is re2, as BigQuery's: flags go in front as (?flags) (the default ignores
   them with a warning), and is_raw doubles each backslash, which a ClickHouse string literal would
   otherwise read as an escape ('\b' is a backspace there, a word boundary to re2). #}
{% macro clickhouse__regexp_instr(source_value, regexp, position, occurrence, is_raw, flags) -%}
{%- if flags -%}
    {{ dbt_expectations._validate_re2_flags(flags) }}
    {%- set regexp = "(?" ~ flags ~ ")" ~ regexp -%}
{%- endif -%}
{%- set regexp = regexp | replace("\\", "\\\\") if is_raw else regexp -%}
regexp_instr({{ source_value }}, '{{ regexp }}', {{ position }}, {{ occurrence }})
{%- endmacro %}
