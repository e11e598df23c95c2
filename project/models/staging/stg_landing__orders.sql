{{
    config(
        materialized='incremental',
        unique_key=['merchant', 'order_id', 'product_id', 'source_date_time'],
        incremental_strategy=var('line_incremental_strategy'),
        engine='MergeTree()',
        order_by=['merchant', 'source_date_time', 'order_id', 'product_id'],
        partition_by='toYYYYMM(assumeNotNull(ordered_at))',
    )
}}
-- Typed order lines: timestamps parsed as UTC, money as Decimal(38, 4), an empty campaign as NULL.
-- An incremental table, not a view: the text is parsed once per line, not once per test or reader.
-- Sorted by time within a merchant, so new lines (recent) touch few granules when replaced.
-- A full build reads the landing table with FINAL (a streaming merge in key order); an incremental
-- run takes only the rows of loads newer than the last one seen, keeping the latest version of
-- each line, and replaces those lines here (rewriting only the months they fall in: partitioned by
-- month). The latest version of each new line: a sort of the new rows (LIMIT 1 BY) for a small
-- batch; for a large one (over a tenth of the landing table) FINAL, whose merge in key order reads
-- the whole table but costs less than sorting that many rows — the same rows either way.
select
    _merchant as merchant,
    orderId as order_id,
    productId as product_id,
    dateTime as source_date_time,
    {{ utc_timestamp('dateTime') }} as ordered_at,
    currency,
    {{ whole_number('quantity') }} as quantity,
    {{ money('shippingCost') }} as shipping_cost,
    {{ money('amount') }} as amount,
    channel,
    channelGroup as channel_group,
    {{ text_or_null('campaign') }} as campaign,
    _version as landing_version,
    _loaded_at as loaded_at,
    -- The same for every row one run writes (now64() is fixed per query): the latest batch.
    now64(3, 'UTC') as built_at
{% if is_incremental() and large_batch() %}
from {{ source('landing', 'orders') }} final
where _version > (select coalesce(max(landing_version), 0) from {{ this }})
{% elif is_incremental() %}
from {{ source('landing', 'orders') }}
where _version > (select coalesce(max(landing_version), 0) from {{ this }})
order by _version desc
limit 1 by _merchant, orderId, productId, dateTime
{% else %}
from {{ source('landing', 'orders') }} final
{% endif %}
