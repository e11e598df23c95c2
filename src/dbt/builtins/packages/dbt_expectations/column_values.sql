{# dema's ClickHouse versions of dbt_expectations' column-value macros (see src/dbt/deps/README.md). #}

{# ClickHouse's regexp_instr is re2's. flags become re2's inline group `(?flags)` (the package's
   default ignores them with a warning: `i` would silently not apply). With is_raw the pattern is the
   regex itself, so its backslashes and quotes are escaped for the SQL literal (ClickHouse reads
   '\b' as a backspace); without, it is a SQL string's body, as on every adapter. #}
{% macro clickhouse__regexp_instr(source_value, regexp, position, occurrence, is_raw, flags) -%}
{%- if flags %}{{ dbt_expectations._validate_re2_flags(flags) }}{% endif -%}
{%- set body = regexp | replace('\\', '\\\\') | replace("'", "\\'") if is_raw else regexp -%}
regexp_instr({{ source_value }}, '{{ "(?" ~ flags ~ ")" if flags }}{{ body }}', {{ position }}, {{ occurrence }})
{%- endmacro %}

{# A type is compared as dbt-clickhouse's Column.dtype (LowCardinality/Nullable unwrapped), upper-
   cased on both sides; the comparison is made here, so types holding quotes (DateTime('UTC'),
   Enum8('a' = 1)) never reach a SQL literal unescaped, as they do in the package's query. #}
{% test expect_column_values_to_be_in_type_list(model, column_name, column_type_list) %}
{%- set accepted = column_type_list | map('upper') | list -%}
{%- set wrong = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- if column.name | upper == column_name | upper and column.dtype | upper not in accepted -%}
            {%- do wrong.append((column.name | upper, column.dtype | upper)) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
select pair.1 as relation_column, pair.2 as relation_column_type
from (
    select arrayJoin(CAST([
        {%- for name, type in wrong %}({{ dbt_expectations.dema_ch__literal(name) }}, {{ dbt_expectations.dema_ch__literal(type) }}){{ ", " if not loop.last }}{% endfor -%}
    ] AS Array(Tuple(String, String)))) as pair
)
{% endtest %}

{% macro dema_ch__literal(text) -%}
'{{ text | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}

{# lowerUTF8: ClickHouse's lower() folds ASCII letters only, so 'Éclair' and 'éclair' would pass as
   consistent. As dbt on other warehouses, a NULL counts as one distinct value but has no lower-case
   form. No CTE, so it runs on servers before 20.1 too. #}
{% test expect_column_values_to_have_consistent_casing(model, column_name, display_inconsistent_columns=False) %}
{%- set spellings = '(select distinct ' ~ column_name ~ ' as spelling from ' ~ model ~ ')' -%}
{%- if display_inconsistent_columns %}
select lowerUTF8(spelling) as inconsistent_columns, count(spelling) as set_count_case_insensitive
from {{ spellings }}
where spelling is not null
group by inconsistent_columns
having count(spelling) > 1
{%- else %}
select * from (
    select count() as set_count, uniqExact(lowerUTF8(spelling)) as set_count_case_insensitive
    from {{ spellings }}
)
where set_count != set_count_case_insensitive
{%- endif %}
{% endtest %}

{# Periods whose trend frame is empty (the first) or has one row (the second) have no mean or no
   standard deviation: NULL in dbt's SQL, but NaN on ClickHouse, and NaN fails the threshold
   comparison, so those periods were reported as outliers. Here the frame's row count decides. #}
{% macro clickhouse__test_expect_column_values_to_be_within_n_moving_stdevs(model, column_name, date_column_name, group_by, period, lookback_periods, trend_periods, test_periods, sigma_threshold, sigma_threshold_upper, sigma_threshold_lower, take_diffs, take_logs) %}
{%- set upper = sigma_threshold_upper if sigma_threshold_upper else sigma_threshold -%}
{%- set lower = sigma_threshold_lower if sigma_threshold_lower else -1 * sigma_threshold -%}
{%- set keys = (group_by | join(', ') ~ ', ') if group_by else '' -%}
{%- set partition = ('partition by ' ~ (group_by | join(', '))) if group_by else '' -%}
{%- set trend = 'over (' ~ partition ~ ' order by metric_period rows between ' ~ trend_periods ~ ' preceding and 1 preceding)' -%}
{%- set metric = dbt_expectations._get_metric_expression -%}
with per_period as (
    select {{ keys }}{{ dbt.date_trunc(period, date_column_name) }} as metric_period,
        sum({{ column_name }}) as agg_metric_value
    from {{ model }}
    group by {{ keys }}metric_period
),
with_prior as (
    select *,
        lag(toNullable(agg_metric_value), {{ lookback_periods }}) over ({{ partition }} order by metric_period) as prior_agg_metric_value
    from per_period
),
tested as (
    select *,
        {{ metric('agg_metric_value', take_logs) }}
        {%- if take_diffs %} - {{ metric('prior_agg_metric_value', take_logs) }}{% endif %} as metric_test_value
    from with_prior
),
trend as (
    select *,
        count(metric_test_value) {{ trend }} as trend_rows,
        avg(metric_test_value) {{ trend }} as trend_average,
        stddevSamp(metric_test_value) {{ trend }} as trend_stddev
    from tested
),
scored as (
    select *,
        if(trend_rows >= 1, trend_average, NULL) as metric_test_rolling_average,
        if(trend_rows >= 2, trend_stddev, NULL) as metric_test_rolling_stddev,
        metric_test_value - metric_test_rolling_average as metric_test_delta,
        metric_test_delta / nullIf(metric_test_rolling_stddev, 0) as metric_test_sigma
    from trend
)
select * from scored
where metric_period >= cast({{ dbt.dateadd(period, -test_periods, dbt.date_trunc(period, dbt_date.now())) }} as {{ dbt_expectations.type_timestamp() }})
    and metric_period < {{ dbt.date_trunc(period, dbt_date.now()) }}
    and not (metric_test_sigma >= {{ lower }} and metric_test_sigma <= {{ upper }})
{%- endmacro %}
