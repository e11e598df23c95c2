{#
  Like dbt_utils.unique_combination_of_columns (the same failing rows), but fast on tens of millions
  of rows: duplicates are first found by a 64-bit hash of the key (a GROUP BY on one UInt64), and only
  rows whose hash repeats are grouped on the real columns, so hash collisions never fail the test.
#}
{% test unique_key(model, columns) %}
{%- set key = columns | join(', ') -%}
select {{ key }}, count(*) as n_records
from {{ model }}
where cityHash64({{ key }}) in (
    select key_hash
    from (select cityHash64({{ key }}) as key_hash from {{ model }})
    group by key_hash
    having count(*) > 1
)
group by {{ key }}
having count(*) > 1
{% endtest %}
