{#- The first substring of `v` that `pattern` matches (null when none). The pattern must not have capturing
    groups: PostgreSQL's substring() would return the first group instead of the match. -#}
{% macro regex_extract(v, pattern) -%}
    {{ return(adapter.dispatch('regex_extract', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}

{% macro default__regex_extract(v, pattern) -%}
    regexp_substr({{ v }}, {{ dango_monitors.pii_sql_string(dango_monitors.regex_dialect(pattern)) }})
{%- endmacro %}

{% macro duckdb__regex_extract(v, pattern) -%}
    regexp_extract({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro postgres__regex_extract(v, pattern) -%}
    substring({{ v }} from {{ dango_monitors.pii_sql_string(dango_monitors.regex_dialect(pattern)) }})
{%- endmacro %}
