{# The order lines a monthly mart aggregates: all of them, or in an incremental run the months that changed. #}
{% macro order_lines_to_aggregate() -%}
select *
from {{ ref('int_order_lines') }}
{% if is_incremental() -%}
where {{ months_with_new_lines(ref('int_order_lines')) }}
{%- endif %}
{%- endmacro %}

{#
  The filter of an incremental mart: the (merchant, month) pairs that received order lines written
  since this model last ran (new, corrected, or re-joined with changed products). The ordered_at
  bound lets ClickHouse skip older granules by the sorting key of int_order_lines; the tuple IN
  keeps the filter exact.
#}
{% macro months_with_new_lines(lines) -%}
(merchant, month_start) in (
    select distinct merchant, month_start
    from {{ lines }}
    where built_at > (select max(lines_built_at) from {{ this }})
)
and ordered_at >= (
    select min(month_start)
    from {{ lines }}
    where built_at > (select max(lines_built_at) from {{ this }})
)
{%- endmacro %}

{# Whether the landing rows newer than this model's last run are over a share (var large_batch_share)
   of the landing table. #}
{% macro large_batch() -%}
{%- if not execute -%}{{ return(false) }}{%- endif -%}
{%- set answer = run_query(
    'select countIf(_version > (select coalesce(max(landing_version), 0) from ' ~ this ~ ')) > count() * '
    ~ var('large_batch_share') ~ ' as large from ' ~ source('landing', 'orders')
) -%}
{{ return((answer.columns[0].values()[0] | int) == 1) }}
{%- endmacro %}

{# Whether any product's attributes changed since `lines` (int_order_lines) last ran — the same
   condition its re-join of changed products uses. Only then does the model add that OR: with it,
   ClickHouse reads the merchant and product of every staged line (~5× the CPU of the version filter
   alone), for a set that is empty on most runs. #}
{% macro products_changed_since(lines) -%}
{%- if not execute -%}{{ return(true) }}{%- endif -%}
{%- set answer = run_query(
    'select count() > 0 as changed from ' ~ ref('int_product_attributes')
    ~ ' where changed_at > (select max(product_changed_at) from ' ~ lines ~ ')'
) -%}
{{ return((answer.columns[0].values()[0] | int) == 1) }}
{%- endmacro %}
