{#
  Like dbt_utils.unique_combination_of_columns (the same failing rows), but fast on tens of millions
  of rows: duplicates are first found by a 64-bit hash of the key (a GROUP BY on one UInt64), and only
  rows whose hash repeats are grouped on the real columns, so hash collisions never fail the test.

  With `batch_column` (a column every run stamps on the rows it writes), only the keys of the rows
  written by the latest run are checked — against the whole table. A duplicate can only come from
  rows a run writes, so after every build this finds every duplicate; a full build checks all rows.
#}
{% test unique_key(model, columns, batch_column=none) %}
{%- set key = columns | join(', ') -%}
select {{ key }}, count(*) as n_records
from {{ model }}
where cityHash64({{ key }}) in (
    {%- if batch_column %}
    select cityHash64({{ key }})
    from {{ model }}
    where {{ batch_column }} = (select max({{ batch_column }}) from {{ model }})
    {%- else %}
    select key_hash
    from (select cityHash64({{ key }}) as key_hash from {{ model }})
    group by key_hash
    having count(*) > 1
    {%- endif %}
)
group by {{ key }}
having count(*) > 1
{% endtest %}
