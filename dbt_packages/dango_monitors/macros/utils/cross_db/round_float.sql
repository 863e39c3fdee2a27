{#-
    round_float(expr, digits): a double rounded to `digits` decimals, still a double.
    PostgreSQL has round(numeric, int) but no round(double precision, int), so it goes through numeric
    (which also holds NaN and, from PostgreSQL 14, +-Infinity).
-#}
{% macro round_float(expr, digits) -%}
    {{ return(adapter.dispatch('round_float', 'dango_monitors')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_float(expr, digits) -%}
    {{ return('cast(round(cast(' ~ expr ~ ' as numeric), ' ~ digits ~ ') as double precision)') }}
{%- endmacro %}

{% macro duckdb__round_float(expr, digits) -%}
    {{ return('round(' ~ expr ~ ', ' ~ digits ~ ')') }}
{%- endmacro %}

{% macro postgres__round_float(expr, digits) -%}
    {{ return(dango_monitors.default__round_float(expr, digits)) }}
{%- endmacro %}
