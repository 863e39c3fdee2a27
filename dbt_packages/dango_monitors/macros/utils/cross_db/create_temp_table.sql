{#-
    SQL that (re)creates a session-local temporary table from a query: create_temp_table_sql('name', 'select ...').
    The name is a bare identifier (temp tables live in the session's own schema). DuckDB has `create or replace`;
    PostgreSQL has no `or replace` for tables, so it drops first (two statements, one round trip).
-#}
{% macro create_temp_table_sql(name, sql) -%}
    {{ return(adapter.dispatch('create_temp_table_sql', 'dango_monitors')(name, sql)) }}
{%- endmacro %}

{% macro default__create_temp_table_sql(name, sql) -%}
    {%- set ident = dango_monitors.quote_ident(name) -%}
    {{ return('drop table if exists ' ~ ident ~ '; create temporary table ' ~ ident ~ ' as ' ~ sql) }}
{%- endmacro %}

{% macro duckdb__create_temp_table_sql(name, sql) -%}
    {{ return('create or replace temp table ' ~ dango_monitors.quote_ident(name) ~ ' as ' ~ sql) }}
{%- endmacro %}

{% macro postgres__create_temp_table_sql(name, sql) -%}
    {#- `pg_temp.` makes the drop hit only our own temporary table, never a real table of that name. -#}
    {%- set ident = dango_monitors.quote_ident(name) -%}
    {{ return('drop table if exists pg_temp.' ~ ident ~ '; create temporary table ' ~ ident ~ ' as ' ~ sql) }}
{%- endmacro %}
