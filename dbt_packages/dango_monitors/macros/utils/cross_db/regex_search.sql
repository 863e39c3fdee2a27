{#- `pattern` (dango's portable regex subset) matches somewhere in `v`. -#}
{% macro regex_search(v, pattern) -%}
    {{ return(adapter.dispatch('regex_search', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}

{% macro default__regex_search(v, pattern) -%}
    regexp_like({{ v }}, {{ dango_monitors.pii_sql_string(dango_monitors.regex_dialect(pattern)) }})
{%- endmacro %}

{% macro duckdb__regex_search(v, pattern) -%}
    regexp_matches({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro postgres__regex_search(v, pattern) -%}
    ({{ v }} ~ {{ dango_monitors.pii_sql_string(dango_monitors.regex_dialect(pattern)) }})
{%- endmacro %}
