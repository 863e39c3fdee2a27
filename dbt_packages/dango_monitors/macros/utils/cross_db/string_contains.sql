{#- `haystack` contains the literal text `needle` (an SQL string expression). DuckDB's contains() is its fastest
    substring test; strpos() is standard elsewhere. -#}
{% macro string_contains(haystack, needle) -%}
    {{ return(adapter.dispatch('string_contains', 'dango_monitors')(haystack, needle)) }}
{%- endmacro %}

{% macro default__string_contains(haystack, needle) -%}
    (strpos({{ haystack }}, {{ needle }}) > 0)
{%- endmacro %}

{% macro duckdb__string_contains(haystack, needle) -%}
    contains({{ haystack }}, {{ needle }})
{%- endmacro %}

{% macro postgres__string_contains(haystack, needle) -%}
    (strpos({{ haystack }}, {{ needle }}) > 0)
{%- endmacro %}
