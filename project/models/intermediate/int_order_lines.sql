{{
    config(
        unique_key=['merchant', 'order_id', 'product_id', 'ordered_at'],
        incremental_strategy=var('line_incremental_strategy'),
        engine='MergeTree()',
        order_by=['merchant', 'ordered_at', 'order_id', 'product_id'],
        partition_by='toYYYYMM(ordered_at)',
    )
}}
-- Order lines with their product. A LEFT join: a line whose product is missing from inventory
-- stays (category '(unknown product)', product_found false) and the orders→products test reports it.
-- Incremental: new or corrected lines (by landing version), plus the lines of products whose
-- attributes changed since the last run (late-arriving or corrected inventory) — so an incremental
-- run gives what a full refresh would.
-- assumeNotNull is safe here: the not_null tests on staging gate this model in `dema build`.
with lines as (
    select * except (source_date_time, built_at)
    from {{ ref('stg_landing__orders') }}
    {% if is_incremental() %}
    where landing_version > (select coalesce(max(landing_version), 0) from {{ this }})
    {% if products_changed_since(this) %}
        or (merchant, product_id) in (
            select merchant, product_id
            from {{ ref('int_product_attributes') }}
            where changed_at > (select max(product_changed_at) from {{ this }})
        )
    {% endif %}
    {% endif %}
),

products as (
    select merchant, product_id, product_name, category, sub_category, changed_at
    from {{ ref('int_product_attributes') }}
)

select
    lines.merchant as merchant,
    lines.order_id as order_id,
    lines.product_id as product_id,
    assumeNotNull(lines.ordered_at) as ordered_at,
    toStartOfMonth(assumeNotNull(lines.ordered_at)) as month_start,
    lines.currency as currency,
    assumeNotNull(lines.quantity) as quantity,
    assumeNotNull(lines.shipping_cost) as shipping_cost,
    assumeNotNull(lines.amount) as amount,
    lines.channel as channel,
    lines.channel_group as channel_group,
    lines.campaign as campaign,
    products.product_id != '' as product_found,
    if(product_found, products.product_name, '(unknown product)') as product_name,
    if(product_found, products.category, '(unknown product)') as category,
    if(product_found, products.sub_category, '(unknown product)') as sub_category,
    products.changed_at as product_changed_at,
    lines.landing_version as landing_version,
    now64(3, 'UTC') as built_at
from lines
left join products
    on products.merchant = lines.merchant
    and products.product_id = lines.product_id
