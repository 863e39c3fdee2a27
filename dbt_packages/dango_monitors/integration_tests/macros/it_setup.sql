{#- Test set-up for tests/test_dbt_package.py: tables with hostile names, created through dango's quoting helper. -#}

{#- (Re)create schema.table with columns [[name, type], ...] and optional rows (lists of SQL literals). -#}
{% macro it_create_table(schema, table, columns, rows=[]) %}
    {%- set rel = dango_monitors.quote_ident(schema) ~ '.' ~ dango_monitors.quote_ident(table) -%}
    {%- set cols = [] -%}
    {%- for c in columns %}{% do cols.append(dango_monitors.quote_ident(c[0]) ~ ' ' ~ c[1]) %}{% endfor -%}
    {% do run_query('create schema if not exists ' ~ dango_monitors.quote_ident(schema)) %}
    {% do run_query('drop table if exists ' ~ rel) %}
    {% do run_query('create table ' ~ rel ~ ' (' ~ cols | join(', ') ~ ')') %}
    {%- for r in rows %}
    {% do run_query('insert into ' ~ rel ~ ' values (' ~ r | join(', ') ~ ')') %}
    {%- endfor %}
    {% do dango_monitors.drift_commit() %}
{% endmacro %}

{#- Every audit table the views read, empty, in `schema`; one failed DAG run in dango_audit_dag_runs. -#}
{% macro it_create_audit_tables(schema) %}
    {%- for name, columns in dango_monitors.audit_columns().items() %}
        {%- set rows = [] -%}
        {%- if name == 'dango_audit_dag_runs' -%}
            {%- set row = [] -%}
            {%- for c, t in columns -%}
                {%- if c == 'run_id' %}{% do row.append("'hostile-run'") %}
                {%- elif c == 'state' %}{% do row.append("'failed'") %}
                {%- elif c == 'started_at' %}{% do row.append("cast('2026-11-20 06:00:00' as timestamp)") %}
                {%- else %}{% do row.append('null') %}{% endif -%}
            {%- endfor -%}
            {%- do rows.append(row) -%}
        {%- endif -%}
        {% do it_create_table(schema, name, columns, rows) %}
    {%- endfor %}
{% endmacro %}
