{#- string_literal(value): a SQL string literal. Both DuckDB and PostgreSQL (standard_conforming_strings, on by default
    since 9.1) read backslashes literally, so doubling the single quotes is all the escaping needed. -#}
{% macro string_literal(value) -%}
    {{ return(adapter.dispatch('string_literal', 'dango_monitors')(value)) }}
{%- endmacro %}

{% macro default__string_literal(value) -%}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro duckdb__string_literal(value) -%}
    {{ return(dango_monitors.default__string_literal(value)) }}
{%- endmacro %}

{% macro postgres__string_literal(value) -%}
    {{ return(dango_monitors.default__string_literal(value)) }}
{%- endmacro %}
