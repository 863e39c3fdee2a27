{#-
    dango's drift tables (in var('dango_schema'), default `dango`):
      dango_schema_snapshots  the latest columns seen per table (replaced at each check of its scope)
      dango_schema_baselines  the accepted columns per table: what the next check compares with
      dango_schema_changes    every classified change, per check run (history, audit, alerts)
-#}

{% macro drift_relation(name) -%}
    {{ return(dango_monitors.dango_relation(name)) }}
{%- endmacro %}

{% macro drift_ensure_tables() -%}
    {%- for statement in dango_monitors.drift_ensure_tables_statements() -%}
        {% do run_query(statement) %}
    {%- endfor -%}
{%- endmacro %}

{% macro drift_ensure_tables_statements() -%}
    {%- set columns -%}
        run_id varchar, checked_at timestamp, table_schema varchar, table_name varchar, column_name varchar,
        ordinal_position integer, data_type varchar, is_nullable varchar
    {%- endset -%}
    {{ return([
        'create schema if not exists ' ~ dango_monitors.quote_ident(dango_monitors.dango_schema()),
        'create table if not exists ' ~ dango_monitors.drift_relation('dango_schema_snapshots') ~ ' (' ~ columns ~ ')',
        'create table if not exists ' ~ dango_monitors.drift_relation('dango_schema_baselines')
            ~ ' (' ~ columns ~ ', accepted_by varchar)',
        'create table if not exists ' ~ dango_monitors.drift_relation('dango_schema_changes') ~ ' (
            run_id varchar, checked_at timestamp, table_schema varchar, table_name varchar, column_name varchar,
            change varchar, severity varchar, old_type varchar, new_type varchar, rename_of varchar, note varchar)',
    ]) }}
{%- endmacro %}

{% macro drift_commit() -%}
    {{ return(adapter.dispatch('drift_commit', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__drift_commit() -%}
    {% do run_query('commit') %}
{%- endmacro %}

{% macro duckdb__drift_commit() -%}
    {#- dbt-duckdb runs each statement in autocommit outside models: nothing to do. -#}
{%- endmacro %}
