{# How landing text becomes typed values — one definition each, used by every staging model. #}

{% macro money(column) -%}
    toDecimal128OrNull({{ column }}, 4)
{%- endmacro %}

{% macro utc_timestamp(column) -%}
    parseDateTime64BestEffortOrNull({{ column }}, 3, 'UTC')
{%- endmacro %}

{% macro whole_number(column) -%}
    toInt32OrNull({{ column }})
{%- endmacro %}

{# An absent value (empty text) is NULL everywhere downstream, never ''. #}
{% macro text_or_null(column) -%}
    nullIf(trimBoth({{ column }}), '')
{%- endmacro %}
