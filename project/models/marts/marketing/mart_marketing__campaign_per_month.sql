{{
    config(
        unique_key=['merchant', 'month_start'],
        engine='MergeTree()',
        order_by=['merchant', 'month_start', 'currency', 'channel', 'channel_group'],
    )
}}
-- Orders, lines, units and revenue per merchant × month × currency × channel × channel group × campaign
-- (NULL campaign = no campaign). Incremental like the finance mart.
with lines as (
    {{ order_lines_to_aggregate() }}
)

select
    merchant,
    month_start,
    currency,
    channel,
    channel_group,
    campaign,
    uniqExact(order_id, ordered_at) as orders,
    count() as order_lines,
    sum(quantity) as units_ordered,
    sum(amount) as revenue,
    max(built_at) as lines_built_at
from lines
group by merchant, month_start, currency, channel, channel_group, campaign
