-- Typed order lines: the latest version of each line (FINAL), timestamps parsed as UTC,
-- money as Decimal(38, 4), an empty campaign as NULL.
select
    _merchant as merchant,
    orderId as order_id,
    productId as product_id,
    {{ utc_timestamp('dateTime') }} as ordered_at,
    currency,
    {{ whole_number('quantity') }} as quantity,
    {{ money('shippingCost') }} as shipping_cost,
    {{ money('amount') }} as amount,
    channel,
    channelGroup as channel_group,
    {{ text_or_null('campaign') }} as campaign,
    _version as landing_version,
    _loaded_at as loaded_at
from {{ source('landing', 'orders') }} final
