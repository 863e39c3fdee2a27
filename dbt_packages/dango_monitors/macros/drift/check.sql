{#-
    Snapshot -> compare with the accepted baseline -> record the classified changes -> advance the baseline of every
    table that has no breaking change (first sight and additive changes); tables with a breaking change keep their
    baseline, so they stay breaking until `drift_accept`.

    dbt run-operation dango_monitors.drift_check --args '{schemas: [raw_shop], run_id: manual-1}'
    The result is in dango_schema_changes (where run_id = ...); a short summary per table is logged
    (summary: false turns it off, as the generic test does).
-#}
{% macro drift_check(schemas=none, relations=none, run_id=none, first_sight_by='schema', summary=true) -%}
    {%- set run_id = run_id or invocation_id -%}
    {%- for statement in dango_monitors.drift_check_statements(schemas, relations, run_id, first_sight_by) -%}
        {% do run_query(statement) %}
    {%- endfor -%}
    {% do dango_monitors.drift_commit() %}
    {%- if summary and execute -%}
        {%- set snapshots = dango_monitors.drift_relation('dango_schema_snapshots') -%}
        {%- set checked = run_query('select count(*) from (select distinct table_schema, table_name from ' ~ snapshots
                ~ ' where run_id = ' ~ dango_monitors.drift_literal(run_id) ~ ') as t').rows[0][0] -%}
        {%- set rows = run_query('select table_schema, table_name, column_name, change, severity, old_type, new_type '
                ~ 'from ' ~ dango_monitors.drift_relation('dango_schema_changes') ~ ' where run_id = '
                ~ dango_monitors.drift_literal(run_id) ~ ' order by table_schema, table_name, column_name').rows -%}
        {{ log(dango_monitors.drift_summary_text('dango drift_check run ' ~ run_id ~ ': ' ~ checked
                ~ ' table(s) checked', rows, 'check'), info=true) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The human summary of a check or an accept, from change rows (schema, table, column, change, severity, old, new):
    one line per table with its changes, then what happens next (blocked until accepted, baseline advanced, stored).
-#}
{% macro drift_summary_text(title, rows, mode='check') -%}
    {%- set tables = {} -%}
    {%- set order = [] -%}
    {%- for r in rows -%}
        {%- set key = r[0] ~ '.' ~ r[1] -%}
        {%- if key not in tables -%}{%- do tables.update({key: []}) -%}{%- do order.append(key) -%}{%- endif -%}
        {%- do tables[key].append(r) -%}
    {%- endfor -%}
    {%- set counts = {'breaking': 0, 'additive': 0, 'baselined': 0} -%}
    {%- set lines = [] -%}
    {%- for key in order -%}
        {%- set changes = [] -%}
        {%- set ns = namespace(breaking=false, baselined=false) -%}
        {%- for r in tables[key] -%}
            {%- if r[3] == 'baselined' -%}
                {%- set ns.baselined = true -%}
            {%- else -%}
                {%- if r[4] == 'breaking' -%}{%- set ns.breaking = true -%}{%- endif -%}
                {%- set types = '' if r[5] is none and r[6] is none
                        else ' (' ~ (r[5] or '-') ~ ' -> ' ~ (r[6] or '-') ~ ')' -%}
                {%- do changes.append(((r[2] ~ ' ') if r[2] else '') ~ r[3] ~ types
                        ~ (' [breaking]' if r[4] == 'breaking' else '')) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.baselined and not changes -%}
            {%- do counts.update({'baselined': counts['baselined'] + 1}) -%}
            {%- do lines.append('  ' ~ key ~ ': first sight, baseline stored') -%}
        {%- elif mode == 'accept' -%}
            {%- do lines.append('  ' ~ key ~ ': accepted ' ~ changes | join('; ')) -%}
        {%- elif ns.breaking -%}
            {%- do counts.update({'breaking': counts['breaking'] + 1}) -%}
            {%- do lines.append('  ' ~ key ~ ': BREAKING ' ~ changes | join('; ')
                    ~ ' - baseline kept: fails until accepted (drift_accept)') -%}
        {%- else -%}
            {%- do counts.update({'additive': counts['additive'] + 1}) -%}
            {%- do lines.append('  ' ~ key ~ ': additive ' ~ changes | join('; ') ~ ' - baseline advanced') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if mode == 'accept' -%}
        {%- set head = title ~ ': ' ~ (order | length) ~ ' table(s) accepted'
                ~ ('' if order else ' (the baselines already matched)') -%}
    {%- else -%}
        {%- set head = title ~ ': ' ~ counts['breaking'] ~ ' with breaking changes, ' ~ counts['additive']
                ~ ' additive, ' ~ counts['baselined'] ~ ' baselined'
                ~ ('' if order else '; no changes') -%}
    {%- endif -%}
    {{ return(([head] + lines) | join('\n')) }}
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
    {%- if execute -%}
        {%- set accepted = run_query('select table_schema, table_name, column_name, change, severity, old_type, '
                ~ "new_type from (" ~ compare ~ ") as classified where change <> 'baselined' "
                ~ 'order by table_schema, table_name, column_name').rows -%}
        {{ log(dango_monitors.drift_summary_text('dango drift_accept run ' ~ run_id ~ ' by ' ~ accepted_by, accepted,
                'accept'), info=true) }}
    {%- endif -%}
    {% do run_query('insert into ' ~ changes ~ ' select distinct ' ~ run ~ ', cast(' ~ dbt.current_timestamp()
                    ~ " as timestamp), table_schema, table_name, null, 'accepted', 'info', null, null, null, "
                    ~ dango_monitors.drift_literal('accepted by ' ~ accepted_by)
                    ~ " from (" ~ compare ~ ") as classified where change <> 'baselined'") %}
    {% do run_query('delete from ' ~ baselines ~ ' where ' ~ scope) %}
    {% do run_query('insert into ' ~ baselines ~ ' select run_id, checked_at, ' ~ cols ~ ', '
                    ~ dango_monitors.drift_literal(accepted_by) ~ ' from ' ~ snapshots ~ ' where run_id = ' ~ run) %}
    {% do dango_monitors.drift_commit() %}
{%- endmacro %}
