-- Both marts must account for exactly the revenue, units and lines of the order lines,
-- per merchant, month and currency. Rows returned are mismatches.
with lines as (
    select merchant, month_start, currency, sum(amount) as revenue, sum(quantity) as units, count() as order_lines
    from {{ ref('int_order_lines') }}
    group by merchant, month_start, currency
),
finance as (
    select
        merchant, month_start, currency,
        sum(revenue) as revenue, sum(units_ordered) as units, sum(order_lines) as order_lines
    from {{ ref('mart_finance__orders_per_month') }}
    group by merchant, month_start, currency
),
marketing as (
    select
        merchant, month_start, currency,
        sum(revenue) as revenue, sum(units_ordered) as units, sum(order_lines) as order_lines
    from {{ ref('mart_marketing__campaign_per_month') }}
    group by merchant, month_start, currency
)
select lines.merchant, lines.month_start, lines.currency
from lines
full outer join finance using (merchant, month_start, currency)
full outer join marketing using (merchant, month_start, currency)
where lines.revenue != finance.revenue or lines.revenue != marketing.revenue
   or lines.units != finance.units or lines.units != marketing.units
   or lines.order_lines != finance.order_lines or lines.order_lines != marketing.order_lines
