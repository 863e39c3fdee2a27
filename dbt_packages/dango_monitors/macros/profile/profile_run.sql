{#- `dbt run-operation dango_monitors.profile_run --args '{run_id: r1, relations: [marts.fct_orders]}'`: profile the
    named tables (default: every base table outside dango's schema and dlt's `_dlt_*` tables) and append one row per
    column to dango_column_profiles. Used by the Airflow `profile` task (scope: the models just built) and
    `dango profile`.

    args: run_id (required), relations (list of 'schema.table'), schemas (list), masked (list of
    'schema.table.column' that must stay masked besides the PII findings and `pii` overrides found here), top_n (5).
-#}

{% macro profile_masked_columns(extra=[]) -%}
    {%- set out = {} -%}
    {%- for item in extra -%}
        {%- set parts = item.rsplit('.', 1) -%}
        {%- do out.setdefault(parts[0], []).append(parts[1]) -%}
    {%- endfor -%}
    {%- set present = run_query("select table_name from information_schema.tables where table_schema = "
        ~ dango_monitors.pii_sql_string(dango_monitors.dango_schema())
        ~ " and table_name in ('dango_pii_findings', 'dango_pii_overrides')").columns[0].values() -%}
    {%- set parts = [] -%}
    {%- if 'dango_pii_findings' in present -%}
        {%- do parts.append("select table_name, column_name from " ~ dango_monitors.dango_relation('dango_pii_findings')
            ~ " where status <> 'suppressed'") -%}
    {%- endif -%}
    {%- if 'dango_pii_overrides' in present -%}
        {%- do parts.append("select table_name, column_name from " ~ dango_monitors.dango_relation('dango_pii_overrides')
            ~ " where status = 'pii'") -%}
    {%- endif -%}
    {%- if parts -%}
        {%- for row in run_query(parts | join(' union ')).rows -%}
            {%- do out.setdefault(row[0], []).append(row[1]) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(out) }}
{%- endmacro %}

{% macro profile_run(run_id, relations=none, schemas=none, masked=[], top_n=5) -%}
    {%- if not execute %}{{ return('') }}{% endif -%}
    {%- do dango_monitors.profile_create_table() -%}
    {%- set dango_schema = dango_monitors.dango_schema() -%}
    {%- set listed = run_query("select table_schema, table_name, table_type from information_schema.tables
        where table_schema not in (" ~ dango_monitors.pii_sql_string(dango_schema) ~ ", 'information_schema', 'pg_catalog')
        and table_catalog = current_database() order by 1, 2") -%}
    {%- set wanted = [] -%}
    {%- for row in listed.rows -%}
        {%- set label = row[0] ~ '.' ~ row[1] -%}
        {%- if relations -%}
            {%- if label in relations %}{% do wanted.append((row[0], row[1])) %}{% endif -%}
        {%- elif not row[1].startswith('_dlt_') and row[2] == 'BASE TABLE' and (not schemas or row[0] in schemas) -%}
            {%- do wanted.append((row[0], row[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if relations and wanted | length < relations | length -%}
        {{ log("dango profile: not in the warehouse: " ~ (relations | reject('in', wanted | map('join', '.') | list) | join(', ')), info=true) }}
    {%- endif -%}
    {%- set masked_by_table = dango_monitors.profile_masked_columns(masked or []) -%}
    {%- set specs = [] -%}
    {%- for schema, table in wanted -%}
        {%- set cols = run_query("select column_name, data_type from information_schema.columns where table_schema = "
            ~ dango_monitors.pii_sql_string(schema) ~ " and table_name = " ~ dango_monitors.pii_sql_string(table)
            ~ " and table_catalog = current_database() order by ordinal_position") -%}
        {%- set columns = [] -%}
        {%- for c in cols.rows if not c[0].startswith('_dlt_') %}{% do columns.append([c[0], c[1]]) %}{% endfor -%}
        {%- if columns -%}
            {%- set hidden = masked_by_table.get(schema ~ '.' ~ table, []) + masked_by_table.get(table, []) -%}
            {%- do specs.append([schema, table, columns, hidden]) -%}
            {{ log("dango profile: " ~ schema ~ "." ~ table ~ ": " ~ columns | length ~ " columns", info=true) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for statement in dango_monitors.profile_tables_statements(run_id, specs, top_n) -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{%- endmacro %}
