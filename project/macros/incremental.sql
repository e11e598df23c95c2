{#
  The filter of an incremental mart: the (merchant, month) pairs that received new or changed order
  lines since this model last ran. The ordered_at bound lets ClickHouse skip older granules by the
  sorting key of int_order_lines; the tuple IN keeps the filter exact.
#}
{% macro months_with_new_lines(lines) -%}
(merchant, month_start) in (
    select distinct merchant, month_start
    from {{ lines }}
    where landing_version > (select coalesce(max(landing_version), 0) from {{ this }})
)
and ordered_at >= (
    select min(month_start)
    from {{ lines }}
    where landing_version > (select coalesce(max(landing_version), 0) from {{ this }})
)
{%- endmacro %}
