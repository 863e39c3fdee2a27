{#- Distinct non-null values of a column: approximate (HyperLogLog) where the warehouse has it, exact elsewhere.
    The profile stores which one it got in `distinct_approx`. -#}

{% macro profile_approx_distinct(expr) -%}
    {{ return(adapter.dispatch('profile_approx_distinct', 'dango_monitors')(expr)) }}
{%- endmacro %}

{% macro default__profile_approx_distinct(expr) -%}
    count(distinct {{ expr }})
{%- endmacro %}

{% macro duckdb__profile_approx_distinct(expr) -%}
    approx_count_distinct({{ expr }})
{%- endmacro %}

{% macro postgres__profile_approx_distinct(expr) -%}
    count(distinct {{ expr }})
{%- endmacro %}

{% macro profile_distinct_is_approx() -%}
    {{ return(adapter.dispatch('profile_distinct_is_approx', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__profile_distinct_is_approx() -%}{{ return(false) }}{%- endmacro %}

{% macro duckdb__profile_distinct_is_approx() -%}{{ return(true) }}{%- endmacro %}

{% macro postgres__profile_distinct_is_approx() -%}{{ return(false) }}{%- endmacro %}
