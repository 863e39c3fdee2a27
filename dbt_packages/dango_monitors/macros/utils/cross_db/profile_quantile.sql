{#- One quantile of a number or date column, as text (numbers and dates share the profile's text columns).
    DuckDB: a t-digest estimate in the same scan. PostgreSQL: ordered-set aggregates (exact; `percentile_disc` for
    dates, which `percentile_cont` cannot interpolate). -#}

{% macro profile_quantile(expr, q, kind) -%}
    {{ return(adapter.dispatch('profile_quantile', 'dango_monitors')(expr, q, kind)) }}
{%- endmacro %}

{% macro default__profile_quantile(expr, q, kind) -%}
    {%- if kind == 'number' -%}
    cast(percentile_cont({{ q }}) within group (order by {{ expr }}) as varchar)
    {%- else -%}
    cast(percentile_disc({{ q }}) within group (order by {{ expr }}) as varchar)
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__profile_quantile(expr, q, kind) -%}
    cast(approx_quantile({{ expr }}, {{ q }}) as varchar)
{%- endmacro %}

{% macro postgres__profile_quantile(expr, q, kind) -%}
    {%- if kind == 'number' -%}
    cast(percentile_cont({{ q }}) within group (order by cast({{ expr }} as double precision)) as varchar)
    {%- else -%}
    cast(percentile_disc({{ q }}) within group (order by {{ expr }}) as varchar)
    {%- endif -%}
{%- endmacro %}
