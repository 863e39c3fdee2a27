{#- The whole of `v` matches `pattern` (dango's portable regex subset, see regex_dialect). -#}
{% macro regex_full_match(v, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(v, pattern) -%}
    regexp_like({{ v }}, {{ dango_monitors.pii_sql_string('^(?:' ~ dango_monitors.regex_dialect(pattern) ~ ')$') }})
{%- endmacro %}

{% macro duckdb__regex_full_match(v, pattern) -%}
    regexp_full_match({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro postgres__regex_full_match(v, pattern) -%}
    ({{ v }} ~ {{ dango_monitors.pii_sql_string('^(?:' ~ dango_monitors.regex_dialect(pattern) ~ ')$') }})
{%- endmacro %}
