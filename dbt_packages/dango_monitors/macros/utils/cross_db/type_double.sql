{#-
    type_double(): the 8-byte floating point type. DuckDB calls it `double`; PostgreSQL has no `double` (only
    `double precision`), and dbt's `type_float()` is a 4-byte `float` on DuckDB, too coarse for metric history.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro postgres__type_double() -%}
    {{ return('double precision') }}
{%- endmacro %}
