{#- Mean of a number (as double precision) or of a date / timestamp (via epoch seconds, returned as a timestamp). -#}

{% macro profile_mean(expr, kind) -%}
    {{ return(adapter.dispatch('profile_mean', 'dango_monitors')(expr, kind)) }}
{%- endmacro %}

{% macro default__profile_mean(expr, kind) -%}
    {%- if kind == 'number' -%}avg(cast({{ expr }} as double precision))
    {%- else -%}cast(to_timestamp(avg(extract(epoch from {{ expr }}))) as varchar)
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__profile_mean(expr, kind) -%}
    {%- if kind == 'number' -%}avg(cast({{ expr }} as double))
    {%- else -%}cast(to_timestamp(avg(epoch({{ expr }}))) as varchar)
    {%- endif -%}
{%- endmacro %}

{% macro postgres__profile_mean(expr, kind) -%}
    {%- if kind == 'number' -%}avg(cast({{ expr }} as double precision))
    {%- else -%}cast(to_timestamp(avg(extract(epoch from {{ expr }}))) as varchar)
    {%- endif -%}
{%- endmacro %}
