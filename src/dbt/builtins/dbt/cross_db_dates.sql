{# dbt-core's cross-database macros for dates, types, arrays and series (dbt.<name>, and plain <name>) with ClickHouse implementations.
   Each public macro dispatches like dbt-core's: the root project's clickhouse__/default__<name> first,
   then dema's clickhouse__<name>. Verified against chDB in test/integration/dbt-cross-db.test.ts. #}

{% macro current_timestamp() -%}
    {{ return(adapter.dispatch('current_timestamp', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__current_timestamp() -%}
now()
{%- endmacro %}

{% macro current_timestamp_backcompat() -%}
    {{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__current_timestamp_backcompat() -%}
now()
{%- endmacro %}

{% macro current_timestamp_in_utc_backcompat() -%}
    {{ return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__current_timestamp_in_utc_backcompat() -%}
now('UTC')
{%- endmacro %}

{% macro snapshot_get_time() -%}
    {{ return(adapter.dispatch('snapshot_get_time', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__snapshot_get_time() -%}
now()
{%- endmacro %}

{% macro date_trunc(datepart, date) -%}
    {{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}
{% macro clickhouse__date_trunc(datepart, date) -%}
{#- toStartOf* exist on every server (date_trunc only from 20.x); a week starts on Monday, as date_trunc's. -#}
{%- set part = datepart | lower -%}
{%- if part == 'week' -%}toMonday({{ date }})
{%- elif part in ['year', 'quarter', 'month', 'day', 'hour', 'minute'] -%}toStartOf{{ part | capitalize }}({{ date }})
{%- else -%}date_trunc('{{ datepart }}', {{ date }}){%- endif -%}
{%- endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
{% macro clickhouse__dateadd(datepart, interval, from_date_or_timestamp) -%}
{#- add<Part>s exist on every server (date_add only from 20.x). -#}
{%- set part = datepart | lower -%}
{%- if part == 'quarter' -%}addMonths({{ from_date_or_timestamp }}, ({{ interval }}) * 3)
{%- elif part in ['year', 'month', 'week', 'day', 'hour', 'minute', 'second'] -%}add{{ part | capitalize }}s({{ from_date_or_timestamp }}, {{ interval }})
{%- else -%}date_add({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }}){%- endif -%}
{%- endmacro %}

{% macro datediff(first_date, second_date, datepart) -%}
    {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}
{% macro clickhouse__datediff(first_date, second_date, datepart) -%}
dateDiff('{{ datepart }}', {{ dbt.dema_ch__date_literal(first_date) }}, {{ dbt.dema_ch__date_literal(second_date) }})
{%- endmacro %}
{#- Other warehouses read a quoted literal ('2024-01-01') as a date where one is expected (packages pass
    them, e.g. dbt_expectations' every_n_datepart); ClickHouse's dateDiff refuses a String, so a
    literal is parsed (parseDateTimeBestEffort: on every server, and it takes a date alone). -#}
{% macro dema_ch__date_literal(value) -%}
{%- set text = value | string | trim -%}
{%- if text | length > 1 and text[0] == "'" and text[-1] == "'" and "'" not in text[1:-1] -%}parseDateTimeBestEffort({{ text }})
{%- else -%}{{ value }}{%- endif -%}
{%- endmacro %}

{% macro last_day(date, datepart) -%}
    {{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}
{% macro clickhouse__last_day(date, datepart) -%}
toDate({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }})
{%- endmacro %}

{% macro date(year, month_of_year, day_of_month) -%}
    {{ return(adapter.dispatch('date', 'dbt')(year, month_of_year, day_of_month)) }}
{%- endmacro %}
{% macro clickhouse__date(year, month_of_year, day_of_month) -%}
{%- set m = month_of_year | string -%}{%- set d = day_of_month | string -%}toDate('{{ year }}-{{ m if m | length > 1 else '0' ~ m }}-{{ d if d | length > 1 else '0' ~ d }}')
{%- endmacro %}

{% macro array_construct(inputs=[], data_type=none) -%}
    {{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}
{%- endmacro %}
{% macro clickhouse__array_construct(inputs=[], data_type=none) -%}
{%- if inputs | length > 0 -%}[{{ inputs | join(', ') }}]{%- else -%}CAST([] AS Array({{ data_type or 'String' }})){%- endif -%}
{%- endmacro %}

{% macro array_append(array, new_element) -%}
    {{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}
{%- endmacro %}
{% macro clickhouse__array_append(array, new_element) -%}
arrayPushBack({{ array }}, {{ new_element }})
{%- endmacro %}

{% macro array_concat(array_1, array_2) -%}
    {{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}
{%- endmacro %}
{% macro clickhouse__array_concat(array_1, array_2) -%}
arrayConcat({{ array_1 }}, {{ array_2 }})
{%- endmacro %}

{% macro array_agg(expression) -%}
    {{ return(adapter.dispatch('array_agg', 'dbt')(expression)) }}
{%- endmacro %}
{% macro clickhouse__array_agg(expression) -%}
groupArray({{ expression }})
{%- endmacro %}

{% macro type_string() -%}
    {{ return(adapter.dispatch('type_string', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_string() -%}
String
{%- endmacro %}

{% macro type_timestamp() -%}
    {{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_timestamp() -%}
DateTime
{%- endmacro %}

{% macro type_int() -%}
    {{ return(adapter.dispatch('type_int', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_int() -%}
Int32
{%- endmacro %}

{% macro type_bigint() -%}
    {{ return(adapter.dispatch('type_bigint', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_bigint() -%}
Int64
{%- endmacro %}

{% macro type_float() -%}
    {{ return(adapter.dispatch('type_float', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_float() -%}
Float32
{%- endmacro %}

{% macro type_numeric() -%}
    {{ return(adapter.dispatch('type_numeric', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_numeric() -%}
Decimal(28, 6)
{%- endmacro %}

{% macro type_boolean() -%}
    {{ return(adapter.dispatch('type_boolean', 'dbt')()) }}
{%- endmacro %}
{% macro clickhouse__type_boolean() -%}
Bool
{%- endmacro %}

{% macro generate_series(upper_bound) -%}
    {{ return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) }}
{%- endmacro %}
{% macro clickhouse__generate_series(upper_bound) -%}
select number + 1 as generated_number from numbers({{ upper_bound }})
{%- endmacro %}

{% macro get_powers_of_two(upper_bound) -%}
    {{ return(adapter.dispatch('get_powers_of_two', 'dbt')(upper_bound)) }}
{%- endmacro %}
{% macro clickhouse__get_powers_of_two(upper_bound) -%}
{%- if upper_bound <= 0 -%}{{ exceptions.raise_compiler_error('upper bound must be positive') }}{%- endif -%}
{%- for _ in range(1, 100) -%}{%- if upper_bound <= 2 ** loop.index -%}{{ return(loop.index) }}{%- endif -%}{%- endfor -%}
{%- endmacro %}

{% macro get_intervals_between(start_date, end_date, datepart) -%}
    {{ return(adapter.dispatch('get_intervals_between', 'dbt')(start_date, end_date, datepart)) }}
{%- endmacro %}
{% macro clickhouse__get_intervals_between(start_date, end_date, datepart) -%}
{%- if not execute -%}{{ return(1) }}{%- endif -%}
{%- set result = run_query('select ' ~ dbt.datediff(start_date, end_date, datepart) ~ ' as n') -%}
{{ return(result.rows[0][0] | int) }}
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) }}
{%- endmacro %}
{% macro clickhouse__date_spine(datepart, start_date, end_date) -%}
select * from (
    select {{ dbt.dateadd(datepart, 'number', 'toDateTime(' ~ start_date ~ ')') }} as date_{{ datepart }}
    from numbers(toUInt64(greatest(dateDiff('{{ datepart }}', toDateTime({{ start_date }}), toDateTime({{ end_date }})), 0)))
) all_periods
where date_{{ datepart }} < toDateTime({{ end_date }})
{%- endmacro %}
