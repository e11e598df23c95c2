{# Like relationships, within each merchant: every (merchant, column) must exist in `to` as (merchant, field). #}
{% test relationships_per_merchant(model, column_name, to, field) %}
select child.merchant as merchant, child.{{ column_name }} as missing_value, count() as lines
from {{ model }} as child
left anti join (select merchant, {{ field }} as to_field from {{ to }}) as parent
    on parent.merchant = child.merchant and parent.to_field = child.{{ column_name }}
group by merchant, missing_value
{% endtest %}
