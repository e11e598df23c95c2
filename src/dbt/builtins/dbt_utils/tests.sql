{# dbt_utils' generic tests (dbt-labs/dbt-utils macros/generic_tests), written for ClickHouse. #}

{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
with meet_condition as (
    select * from {{ model }}
),
validation_errors as (
    select *
    from meet_condition
    where 1 = 2
    {%- if min_value is not none %}
        or not {{ column_name }} >{{- "=" if inclusive }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
        or not {{ column_name }} <{{- "=" if inclusive }} {{ max_value }}
    {%- endif %}
)
select * from validation_errors
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns, quote_columns=false) %}
{%- set columns_csv = combination_of_columns | join(', ') if not quote_columns else '`' ~ (combination_of_columns | join('`, `')) ~ '`' -%}
with validation_errors as (
    select {{ columns_csv }}
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
)
select * from validation_errors
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
{% if column_name is none %}
where not({{ expression }})
{%- else %}
where not({{ column_name }} {{ expression }})
{%- endif %}
{% endtest %}

{% test not_null_proportion(model, column_name, at_least, at_most=1.0, group_by_columns=[]) %}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
{%- set group_by = 'group by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
with validation as (
    select
        {{ select_gb }}
        sum(case when {{ column_name }} is null then 0 else 1 end) / cast(count(*) as {{ type_numeric() }}) as not_null_proportion
    from {{ model }}
    {{ group_by }}
),
validation_errors as (
    select {{ select_gb }} not_null_proportion
    from validation
    where not_null_proportion < {{ at_least }} or not_null_proportion > {{ at_most }}
)
select * from validation_errors
{% endtest %}

{% test recency(model, field, datepart, interval, ignore_time_component=false, group_by_columns=[]) %}
{%- set threshold = 'date_add(' ~ datepart ~ ', ' ~ (-1 * interval) ~ ', now())' -%}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
{%- set group_by = 'group by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
with recency as (
    select
        {{ select_gb }}
        {% if ignore_time_component %}max(toDate({{ field }})){% else %}max({{ field }}){% endif %} as most_recent
    from {{ model }}
    {{ group_by }}
)
select {{ select_gb }} most_recent, {{ threshold }} as threshold
from recency
where most_recent < {{ threshold }} or most_recent is null
{% endtest %}

{% test at_least_one(model, column_name, group_by_columns=[]) %}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
{%- set group_by = 'group by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
select *
from (
    select {{ select_gb }} count({{ column_name }}) as filler_column
    from {{ model }}
    {{ group_by }}
    having count({{ column_name }}) = 0
) validation_errors
{% endtest %}

{% test not_constant(model, column_name, group_by_columns=[]) %}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
{%- set group_by = 'group by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
select {{ select_gb }} count(distinct {{ column_name }}) as filler_column
from {{ model }}
{{ group_by }}
having count(distinct {{ column_name }}) = 1
{% endtest %}

{% test equal_rowcount(model, compare_model, group_by_columns=[]) %}
{{ config(fail_calc = 'sum(coalesce(diff_count, 0))') }}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
{%- set group_by = 'group by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
with a as (
    select {{ select_gb }} 1 as id_dbtutils_test_equal_rowcount, count(*) as count_a
    from {{ model }}
    {{ group_by }}
),
b as (
    select {{ select_gb }} 1 as id_dbtutils_test_equal_rowcount, count(*) as count_b
    from {{ compare_model }}
    {{ group_by }}
)
select abs(toInt64(a.count_a) - toInt64(b.count_b)) as diff_count
from a
full join b on a.id_dbtutils_test_equal_rowcount = b.id_dbtutils_test_equal_rowcount
{% for column in group_by_columns %} and a.{{ column }} = b.{{ column }}{% endfor %}
{% endtest %}

{% test relationships_where(model, column_name, to, field, from_condition="1=1", to_condition="1=1") %}
with left_table as (
    select {{ column_name }} as id
    from {{ model }}
    where {{ column_name }} is not null and {{ from_condition }}
),
right_table as (
    select {{ field }} as id
    from {{ to }}
    where {{ field }} is not null and {{ to_condition }}
)
select left_table.id as id
from left_table
left join right_table on left_table.id = right_table.id
where right_table.id is null
settings join_use_nulls = 1
{% endtest %}

{% test sequential_values(model, column_name, interval=1, datepart=none, group_by_columns=[]) %}
{%- set partition_gb = 'partition by ' ~ (group_by_columns | join(', ')) if group_by_columns else '' -%}
{%- set select_gb = group_by_columns | join(', ') ~ ', ' if group_by_columns else '' -%}
with windowed as (
    select
        {{ select_gb }}
        {{ column_name }},
        lagInFrame(toNullable({{ column_name }})) over ({{ partition_gb }} order by {{ column_name }} rows between unbounded preceding and current row) as previous_{{ column_name }},
        row_number() over ({{ partition_gb }} order by {{ column_name }}) as dbt_row_number
    from {{ model }}
)
select *
from windowed
where dbt_row_number > 1 and not (
    {% if datepart %}
    {{ column_name }} = date_add({{ datepart }}, {{ interval }}, previous_{{ column_name }})
    {% else %}
    {{ column_name }} = previous_{{ column_name }} + {{ interval }}
    {% endif %}
)
{% endtest %}
