{{
    config(
        unique_key=['merchant', 'month_start'],
        engine='MergeTree()',
        order_by=['merchant', 'month_start', 'currency', 'category', 'sub_category'],
    )
}}
-- Revenue, units ordered and shipping per merchant × month × currency × category × sub-category.
-- Incremental: only the (merchant, month) pairs that received new or changed lines are recomputed.
with lines as (
    {{ order_lines_to_aggregate() }}
)

select
    merchant,
    month_start,
    currency,
    category,
    sub_category,
    uniqExact(order_id, ordered_at) as orders,
    count() as order_lines,
    sum(quantity) as units_ordered,
    sum(shipping_cost) as shipping,
    sum(amount) as revenue,
    max(built_at) as lines_built_at
from lines
group by merchant, month_start, currency, category, sub_category
