{#-
    Snapshot -> compare with the accepted baseline -> record the classified changes -> advance the baseline of every
    table that has no breaking change (first sight and additive changes); tables with a breaking change keep their
    baseline, so they stay breaking until `drift_accept`.

    dbt run-operation dango_monitors.drift_check --args '{schemas: [raw_shop], run_id: manual-1}'
    The result is in dango_schema_changes (where run_id = ...).
-#}
{% macro drift_check(schemas=none, relations=none, run_id=none, first_sight_by='schema') -%}
    {%- for statement in dango_monitors.drift_check_statements(schemas, relations, run_id, first_sight_by) -%}
        {% do run_query(statement) %}
    {%- endfor -%}
    {% do dango_monitors.drift_commit() %}
{%- endmacro %}

{#- The statements of one check, in order (the benchmark times exactly these, without dbt around them). -#}
{% macro drift_check_statements(schemas=none, relations=none, run_id=none, first_sight_by='schema') -%}
    {%- set run_id = run_id or invocation_id -%}
    {%- set snapshots = dango_monitors.drift_relation('dango_schema_snapshots') -%}
    {%- set baselines = dango_monitors.drift_relation('dango_schema_baselines') -%}
    {%- set changes = dango_monitors.drift_relation('dango_schema_changes') -%}
    {%- set scope = dango_monitors.drift_scope_predicate(schemas, relations) -%}
    {%- set run = dango_monitors.drift_literal(run_id) -%}
    {%- set now = 'cast(' ~ dbt.current_timestamp() ~ ' as timestamp)' -%}
    {%- set cols = 'table_schema, table_name, column_name, ordinal_position, data_type, is_nullable' -%}
    {%- set statements = dango_monitors.drift_ensure_tables_statements() -%}
    {%- do statements.append('delete from ' ~ snapshots ~ ' where ' ~ scope) -%}
    {%- do statements.append('delete from ' ~ changes ~ ' where run_id = ' ~ run) -%}
    {%- do statements.append('insert into ' ~ snapshots ~ ' select ' ~ run ~ ', ' ~ now ~ ', ' ~ cols
                             ~ ' from (' ~ dango_monitors.drift_columns_sql(schemas, relations) ~ ') as cur') -%}
    {%- do statements.extend(dango_monitors.refresh_statistics_sql(snapshots)) -%}
    {%- set compare = dango_monitors.drift_changes_sql(
            '(select ' ~ cols ~ ' from ' ~ baselines ~ ' where ' ~ scope ~ ') as base',
            '(select ' ~ cols ~ ' from ' ~ snapshots ~ ' where run_id = ' ~ run ~ ') as snap',
            first_sight_by) -%}
    {%- do statements.append('insert into ' ~ changes ~ ' select ' ~ run ~ ', ' ~ now ~ ', '
                    ~ 'table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note '
                    ~ 'from (' ~ compare ~ ') as classified') -%}
    {%- set advance -%}
        (table_schema, table_name) in (
            select table_schema, table_name from {{ changes }} where run_id = {{ run }}
            group by table_schema, table_name
            having sum(case when severity = 'breaking' then 1 else 0 end) = 0
        )
    {%- endset -%}
    {%- do statements.append('delete from ' ~ baselines ~ ' where ' ~ advance) -%}
    {%- do statements.append('insert into ' ~ baselines ~ ' select run_id, checked_at, ' ~ cols ~ ', ' ~ run
                             ~ ' from ' ~ snapshots ~ ' where run_id = ' ~ run ~ ' and ' ~ advance) -%}
    {%- do statements.extend(dango_monitors.refresh_statistics_sql(baselines)) -%}
    {{ return(statements) }}
{%- endmacro %}

{#-
    Accept the current columns as the new baseline: of whole schemas (a source is one schema) or of single relations.
    dbt run-operation dango_monitors.drift_accept --args '{schemas: [raw_shop]}'
    dbt run-operation dango_monitors.drift_accept --args '{relations: [[raw_shop, orders]]}'
    dbt run-operation dango_monitors.drift_accept --args '{all: true}'
-#}
{% macro drift_accept(schemas=none, relations=none, all=false, run_id=none, accepted_by='dango drift accept') -%}
    {%- if schemas is none and relations is none and not all -%}
        {{ exceptions.raise_compiler_error('drift_accept: give schemas, relations or all: true') }}
    {%- endif -%}
    {%- set run_id = run_id or ('accept-' ~ invocation_id) -%}
    {%- set snapshots = dango_monitors.drift_relation('dango_schema_snapshots') -%}
    {%- set baselines = dango_monitors.drift_relation('dango_schema_baselines') -%}
    {%- set changes = dango_monitors.drift_relation('dango_schema_changes') -%}
    {%- set scope = dango_monitors.drift_scope_predicate(schemas, relations) -%}
    {%- set run = dango_monitors.drift_literal(run_id) -%}
    {%- set cols = 'table_schema, table_name, column_name, ordinal_position, data_type, is_nullable' -%}
    {% do dango_monitors.drift_ensure_tables() %}
    {% do run_query('delete from ' ~ snapshots ~ ' where ' ~ scope) %}
    {% do run_query('insert into ' ~ snapshots ~ ' select ' ~ run ~ ', cast(' ~ dbt.current_timestamp() ~ ' as timestamp), '
                    ~ cols ~ ' from (' ~ dango_monitors.drift_columns_sql(schemas, relations) ~ ') as cur') %}
    {% do run_query('delete from ' ~ changes ~ ' where run_id = ' ~ run) %}
    {#- Record what is accepted: every table whose baseline changes, before it changes. -#}
    {%- set compare = dango_monitors.drift_changes_sql(
            '(select ' ~ cols ~ ' from ' ~ baselines ~ ' where ' ~ scope ~ ') as base',
            '(select ' ~ cols ~ ' from ' ~ snapshots ~ ' where run_id = ' ~ run ~ ') as snap', 'table') -%}
    {% do run_query('insert into ' ~ changes ~ ' select distinct ' ~ run ~ ', cast(' ~ dbt.current_timestamp()
                    ~ " as timestamp), table_schema, table_name, null, 'accepted', 'info', null, null, null, "
                    ~ dango_monitors.drift_literal('accepted by ' ~ accepted_by)
                    ~ " from (" ~ compare ~ ") as classified where change <> 'baselined'") %}
    {% do run_query('delete from ' ~ baselines ~ ' where ' ~ scope) %}
    {% do run_query('insert into ' ~ baselines ~ ' select run_id, checked_at, ' ~ cols ~ ', '
                    ~ dango_monitors.drift_literal(accepted_by) ~ ' from ' ~ snapshots ~ ' where run_id = ' ~ run) %}
    {% do dango_monitors.drift_commit() %}
{%- endmacro %}
