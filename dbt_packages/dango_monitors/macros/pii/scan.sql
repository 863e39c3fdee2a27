{#- `dbt run-operation dango_monitors.pii_scan --args '{run_id: r1}'`: scan every user table (or the ones named)
    and append the verdicts to dango_pii_findings / dango_pii_skips. Used by the Airflow task and `dango pii scan`.

    args: run_id (required), schemas (list), tables (list of 'schema.table' or 'table'), full (bool, default false:
    a reproducible sample of `dango_pii_sample_rows` rows), sample_rows, seed.
    Default scope: base tables outside dango's schema, information_schema and dlt's `_dlt_*` tables; `_dlt_*` columns
    are never scanned. Tables named explicitly may also be views.
-#}

{% macro pii_findings_relation() -%}
    {{ return(dango_monitors.dango_relation('dango_pii_findings')) }}
{%- endmacro %}

{% macro pii_create_tables() -%}
    {% do run_query("create schema if not exists " ~ dango_monitors.quote_ident(dango_monitors.dango_schema())) %}
    {% do run_query("create table if not exists " ~ dango_monitors.pii_findings_relation() ~ " (
        run_id varchar, scanned_at timestamp, table_name varchar, column_name varchar, entity varchar,
        match_mode varchar, prevalence double, confidence double, sample_size bigint, matches bigint,
        example varchar, status varchar, is_new boolean, first_seen timestamp, last_seen timestamp, full_scan boolean)") %}
    {% do run_query("create table if not exists " ~ dango_monitors.dango_relation('dango_pii_skips') ~ " (
        run_id varchar, scanned_at timestamp, table_name varchar, column_name varchar, reason varchar)") %}
    {% do run_query("create table if not exists " ~ dango_monitors.dango_relation('dango_pii_overrides') ~ " (
        table_name varchar, column_name varchar, status varchar, set_by varchar, reason varchar, updated_at varchar)") %}
{%- endmacro %}

{% macro pii_is_string_type(data_type) -%}
    {%- set t = data_type | upper -%}
    {{ return(t in ('VARCHAR', 'TEXT', 'STRING', 'CHAR', 'BPCHAR', 'CHARACTER', 'CHARACTER VARYING', 'NVARCHAR', 'NCHAR')
              or t.startswith('VARCHAR(') or t.startswith('CHARACTER VARYING(') or t.startswith('CHAR(')) }}
{%- endmacro %}

{% macro pii_scan(run_id, schemas=none, tables=none, full=false, sample_rows=none, seed=none) -%}
    {%- if not execute %}{{ return('') }}{% endif -%}
    {%- set dango_schema = dango_monitors.dango_schema() -%}
    {%- do dango_monitors.pii_create_tables() -%}
    {%- set findings = dango_monitors.pii_findings_relation() -%}
    {%- set skips = dango_monitors.dango_relation('dango_pii_skips') -%}
    {%- set overrides = dango_monitors.dango_relation('dango_pii_overrides') -%}
    {%- set rid = dango_monitors.pii_sql_string(run_id) -%}
    {%- do run_query("delete from " ~ findings ~ " where run_id = " ~ rid) -%}
    {%- do run_query("delete from " ~ skips ~ " where run_id = " ~ rid) -%}

    {%- set listed = run_query("select table_schema, table_name, table_type from information_schema.tables
        where table_schema not in (" ~ dango_monitors.pii_sql_string(dango_schema) ~ ", 'information_schema', 'pg_catalog')
        and table_catalog = current_database() order by 1, 2") -%}
    {%- set wanted = [] -%}
    {%- for row in listed.rows -%}
        {%- set schema, name, kind = row[0], row[1], row[2] -%}
        {%- set label = schema ~ '.' ~ name -%}
        {%- set named = tables and (label in tables or name in tables) -%}
        {%- if name.startswith('_dlt_') and not named %}{% continue %}{% endif -%}
        {%- if schemas and schema not in schemas %}{% continue %}{% endif -%}
        {%- if tables and not named %}{% continue %}{% endif -%}
        {%- if kind != 'BASE TABLE' and not named %}{% continue %}{% endif -%}
        {%- do wanted.append((schema, name, kind)) -%}
    {%- endfor -%}
    {%- if tables and not wanted -%}
        {{ log("dango pii: no table matches " ~ (tables | join(', ')), info=true) }}
    {%- endif -%}

    {%- for schema, name, kind in wanted -%}
        {%- set label = schema ~ '.' ~ name -%}
        {%- set relation = dango_monitors.quote_ident(schema) ~ '.' ~ dango_monitors.quote_ident(name) -%}
        {%- set cols = run_query("select column_name, data_type from information_schema.columns where table_schema = "
            ~ dango_monitors.pii_sql_string(schema) ~ " and table_name = " ~ dango_monitors.pii_sql_string(name)
            ~ " and table_catalog = current_database() order by ordinal_position") -%}
        {%- set strings = [] -%}
        {%- set skipped = [] -%}
        {%- for c in cols.rows -%}
            {%- if c[0].startswith('_dlt_') -%}
            {%- elif dango_monitors.pii_is_string_type(c[1]) -%}{% do strings.append(c[0]) %}
            {%- else -%}{% do skipped.append((c[0], 'not a string column (' ~ c[1] ~ ')')) %}
            {%- endif -%}
        {%- endfor -%}
        {%- set row_count = none -%}
        {%- if kind == 'BASE TABLE' -%}
            {%- set row_count = run_query("select count(*) from " ~ relation).rows[0][0] -%}
        {%- endif -%}
        {%- if not strings -%}
            {%- do skipped.append((none, 'no string columns')) -%}
        {%- elif row_count == 0 -%}
            {%- do skipped.append((none, 'empty table')) -%}
        {%- endif -%}
        {%- for column, reason in skipped -%}
            {%- do run_query("insert into " ~ skips ~ " values (" ~ rid ~ ", current_timestamp, " ~ dango_monitors.pii_sql_string(label)
                ~ ", " ~ (dango_monitors.pii_sql_string(column) if column else 'null') ~ ", " ~ dango_monitors.pii_sql_string(reason) ~ ")") -%}
        {%- endfor -%}
        {%- if strings and row_count != 0 -%}
            {%- set verdict_sql = dango_monitors.pii_verdict_sql(relation, label, strings, full=full, sample_rows=sample_rows,
                seed=seed, row_count=row_count, overrides=overrides) -%}
            {%- do run_query(dango_monitors.create_temp_table_sql("dango_pii_verdicts", verdict_sql)) -%}
            {%- do run_query("insert into " ~ skips ~ " select distinct " ~ rid ~ ", current_timestamp, table_name, column_name, skip_reason
                from dango_pii_verdicts where skip_reason is not null") -%}
            {%- do run_query("insert into " ~ findings ~ "
                select " ~ rid ~ ", current_timestamp, v.table_name, v.column_name, v.entity, v.match_mode,
                    " ~ dango_monitors.round_float("v.prevalence", 4) ~ ", " ~ dango_monitors.round_float("v.confidence", 2) ~ ", v.sample_size, v.matches, v.example, v.status,
                    p.first_seen is null, coalesce(p.first_seen, current_timestamp), current_timestamp, " ~ ('true' if full else 'false') ~ "
                from dango_pii_verdicts v
                left join (select table_name, column_name, entity, min(first_seen) as first_seen from " ~ findings ~ "
                           where run_id <> " ~ rid ~ " group by 1, 2, 3) p
                  on p.table_name = v.table_name and p.column_name = v.column_name and p.entity = v.entity
                where v.flagged and v.status <> 'suppressed'") -%}
            {%- set n = run_query("select count(*) from dango_pii_verdicts where flagged and status <> 'suppressed'").rows[0][0] -%}
            {{ log("dango pii: " ~ label ~ ": " ~ strings | length ~ " string columns, " ~ n ~ " findings", info=true) }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
