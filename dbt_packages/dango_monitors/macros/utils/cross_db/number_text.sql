{#-
    number_text(expr, digits): a double as text rounded to `digits` decimals, for the human `reason` column.
    PostgreSQL has no round(double precision, int), so it rounds through numeric (which holds NaN and, from 14,
    infinity); DuckDB rounds the double itself (its `numeric` is DECIMAL(18,3) and would overflow on big values).
-#}
{% macro number_text(expr, digits=1) -%}
    {{ return(adapter.dispatch('number_text', 'dango_monitors')(expr, digits)) }}
{%- endmacro %}

{% macro default__number_text(expr, digits=1) -%}
    {{ return('cast(round(cast(' ~ expr ~ ' as numeric), ' ~ digits ~ ') as varchar)') }}
{%- endmacro %}

{% macro duckdb__number_text(expr, digits=1) -%}
    {{ return('cast(round(' ~ expr ~ ', ' ~ digits ~ ') as varchar)') }}
{%- endmacro %}

{% macro postgres__number_text(expr, digits=1) -%}
    {{ return('cast(round(cast(' ~ expr ~ ' as numeric), ' ~ digits ~ ') as text)') }}
{%- endmacro %}
