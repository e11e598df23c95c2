{# dema's ClickHouse versions of dbt_expectations macros (see src/dbt/deps/README.md). A
   `clickhouse__` macro joins the package's dispatch; a macro of another name replaces the
   package's own, for tests that are not dispatched but give wrong results on ClickHouse. #}

{# No WITHIN GROUP on ClickHouse; quantileExactInclusive interpolates as percentile_cont does. It
   refuses Decimal (money columns), and percentile_cont gives a double anyway: Float64 in. #}
{% macro clickhouse__quantile(field, quantile, partition) -%}
    quantileExactInclusive({{ quantile }})(toFloat64({{ field }}))
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

{# The sample stdev of a single value is NaN on ClickHouse (NULL in SQL), and NaN fails every bound:
   a group of one row would fail where dbt's warehouses skip it. NULL below two non-NULL values. #}
{% macro clickhouse__test_expect_column_stdev_to_be_between(model, column_name, min_value, max_value, group_by, row_condition, strictly) %}
{% set expression %}
if(count({{ column_name }}) > 1, stddevSamp({{ column_name }}), NULL)
{% endset %}
{{ dbt_expectations.expression_between(model, expression=expression, min_value=min_value, max_value=max_value, group_by_columns=group_by, row_condition=row_condition, strictly=strictly) }}
{% endmacro %}

{# `decimal` without precision is Decimal(10, 0) on ClickHouse: 2.1 and 2.4 both become 2, so the
   counts merge and the wrong value ranks first. SQL's unbounded numeric → Decimal(38, 10). #}
{% macro clickhouse__test_expect_column_most_common_value_to_be_in_set(model, column_name, value_set, top_n, quote_values, data_type, row_condition) %}
{% set exact = data_type | lower in ('decimal', 'numeric') %}
{{ dbt_expectations.default__test_expect_column_most_common_value_to_be_in_set(model, column_name, value_set, top_n, quote_values, 'Decimal(38, 10)' if exact else data_type, row_condition) }}
{% endmacro %}

{# ClickHouse's rand() is a UInt32, not a float in [0, 1) as on other warehouses: randCanonical is. #}
{% macro clickhouse__rand() -%}
    randCanonical()
{%- endmacro %}
