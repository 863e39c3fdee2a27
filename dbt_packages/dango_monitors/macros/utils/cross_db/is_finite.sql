{#-
    is_finite(expr): true for a finite double, false for NaN and +-infinity (NULL stays NULL). Both warehouses sort
    NaN above every number and infinity above every finite one, so the portable test is a bound on abs().
-#}
{% macro is_finite(expr) -%}
    {{ return(adapter.dispatch('is_finite', 'dango_monitors')(expr)) }}
{%- endmacro %}

{% macro default__is_finite(expr) -%}
    {{ return('(abs(' ~ expr ~ ') <= 1.7976931348623157e308)') }}
{%- endmacro %}

{% macro duckdb__is_finite(expr) -%}
    {{ return('isfinite(' ~ expr ~ ')') }}
{%- endmacro %}

{% macro postgres__is_finite(expr) -%}
    {{ return(dango_monitors.default__is_finite(expr)) }}
{%- endmacro %}
