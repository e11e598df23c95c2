{{
    config(
        unique_key=['merchant', 'product_id'],
        incremental_strategy=var('line_incremental_strategy'),
        engine='MergeTree()',
        order_by=['merchant', 'product_id'],
    )
}}
-- The product attributes order lines take (name, category, sub-category), with when they last
-- changed. Inventory exports repeat every product every time (stock moves daily); only a product
-- whose attributes changed — or that is new, e.g. one that orphaned lines were waiting for — gets a
-- new changed_at, and only its order lines are reprocessed downstream.
select
    merchant,
    product_id,
    product_name,
    category,
    sub_category,
    cityHash64(product_name, category, sub_category) as attributes_hash,
    now64(3, 'UTC') as changed_at
from {{ ref('stg_landing__inventory') }}
{% if is_incremental() %}
where (merchant, product_id, cityHash64(product_name, category, sub_category)) not in (
    select merchant, product_id, attributes_hash from {{ this }}
)
{% endif %}
