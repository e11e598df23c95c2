{# dbt's built-in generic tests, with dbt-clickhouse's relationships override (join_use_nulls).
   Written with subqueries instead of CTEs, so they also run on servers without WITH subqueries.
   relationships tests a non-key marker for NULL: before 19.x a JOIN ON fills the right key column
   with the left key's value, so `to_field is null` never held and an orphan passed. #}

{% test unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{% test not_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
{% endtest %}

{% test accepted_values(model, column_name, values, quote=True) %}
select *
from (
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ model }}
    group by {{ column_name }}
) all_values
where value_field not in (
    {% for value in values -%}
    {% if quote %}'{{ value }}'{% else %}{{ value }}{% endif %}{% if not loop.last %},{% endif %}
    {%- endfor %}
)
{% endtest %}

{% test relationships(model, column_name, to, field) %}
select child.from_field as from_field
from (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
) child
left join (
    select {{ field }} as to_field, 1 as dbt_matched
    from {{ to }}
) parent
    on child.from_field = parent.to_field
where parent.dbt_matched is null
-- end_of_sql
settings join_use_nulls = 1
{% endtest %}
