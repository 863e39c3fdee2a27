{#-
    refresh_statistics_sql(relation): statements (a list, maybe empty) that bring the planner's statistics of a table
    up to date after a bulk write in the same transaction. PostgreSQL plans with the row counts it last saw: a table
    just filled with 10,000 rows still counts as empty or as one row, the planner picks nested loops, and the drift
    comparison of 200 x 50 columns took 50 s instead of well under one. DuckDB needs nothing.
-#}
{% macro refresh_statistics_sql(relation) -%}
    {{ return(adapter.dispatch('refresh_statistics_sql', 'dango_monitors')(relation)) }}
{%- endmacro %}

{% macro default__refresh_statistics_sql(relation) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro duckdb__refresh_statistics_sql(relation) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__refresh_statistics_sql(relation) -%}
    {{ return(['analyze ' ~ relation]) }}
{%- endmacro %}
