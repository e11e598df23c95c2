-- Typed products: the latest version of each product (FINAL).
select
    _merchant as merchant,
    productId as product_id,
    name as product_name,
    {{ whole_number('quantity') }} as stock_quantity,
    category,
    subCategory as sub_category,
    _version as landing_version,
    _loaded_at as loaded_at
from {{ source('landing', 'inventory') }} final
