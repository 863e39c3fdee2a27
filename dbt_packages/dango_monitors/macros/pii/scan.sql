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
        match_mode varchar, prevalence double precision, confidence double precision, sample_size bigint, matches bigint,
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
        and left(table_schema, 3) <> 'pg_' and table_catalog = current_database() order by 1, 2") -%}
    {%- set declared = dango_monitors.pii_declared_columns() -%}
    {%- set scanned = [] -%}
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
        {%- do dango_monitors.pii_store_skips(skips, rid, label, skipped) -%}
        {%- if strings and row_count != 0 -%}
            {%- set verdicts = dango_monitors.pii_scan_columns(relation, label, strings, full, sample_rows, seed, row_count, overrides, declared.get(label | lower, {})) -%}
            {%- do dango_monitors.pii_store_verdicts(verdicts, rid, full, findings, skips) -%}
            {%- do scanned.append((label, strings | length, verdicts)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do dango_monitors.pii_log_summary(scanned) -%}
{%- endmacro %}

{#- Skipped columns of one table, in one statement (a wide table may skip thousands). -#}
{% macro pii_store_skips(skips, rid, label, skipped) -%}
    {%- if skipped -%}
    {%- set rows = [] -%}
    {%- for column, reason in skipped -%}
        {%- do rows.append("(" ~ dango_monitors.pii_sql_string(label) ~ ", " ~ (dango_monitors.pii_sql_string(column) if column else 'null')
            ~ ", " ~ dango_monitors.pii_sql_string(reason) ~ ")") -%}
    {%- endfor -%}
    {%- do run_query("insert into " ~ skips ~ " (run_id, scanned_at, table_name, column_name, reason) select " ~ rid
        ~ ", current_timestamp, cast(t as varchar), cast(c as varchar), cast(r as varchar) from (values " ~ rows | join(', ') ~ ") as s(t, c, r)") -%}
    {%- endif -%}
{%- endmacro %}

{#- Columns of one relation in batches of at most `dango_pii_batch_columns`, one verdict query each: the query's
    size, its planning time and its memory stay flat however wide the table is, and each column is read once.
    Returns the verdict rows that matter (flagged, or not judged) as dicts; masked examples only. `declared` maps a
    lower-cased column name to its `meta.pii` allowance: such findings get status `declared`. -#}
{% macro pii_scan_columns(relation, label, columns, full, sample_rows, seed, row_count, overrides, declared) -%}
    {%- set out = [] -%}
    {%- set rows = dango_monitors.pii_sample_rows_for(columns | length, sample_rows) -%}
    {%- for batch in dango_monitors.pii_column_batches(columns) -%}
        {%- set sql = dango_monitors.pii_verdict_sql(relation, label, batch, full=full, sample_rows=rows, seed=seed,
            row_count=row_count, overrides=overrides) -%}
        {%- for setting in dango_monitors.pii_query_settings() %}{% do run_query(setting) %}{% endfor -%}
        {%- set result = run_query("select table_name, column_name, entity, match_mode, prevalence, confidence, sample_size, matches,
            example, status, flagged, skip_reason from (" ~ sql ~ ") v where (flagged and status <> 'suppressed') or skip_reason is not null") -%}
        {%- for r in result.rows -%}
            {%- set row = {'table_name': r[0], 'column_name': r[1], 'entity': r[2], 'match_mode': r[3],
                'prevalence': (r[4] | float), 'confidence': (r[5] | float), 'sample_size': r[6] | int, 'matches': r[7] | int,
                'example': r[8], 'status': r[9], 'flagged': r[10], 'skip_reason': r[11]} -%}
            {%- set allowance = declared.get(r[1] | lower) -%}
            {%- if row.flagged and row.status == 'detected' and allowance is not none and (allowance is true or r[2] in allowance) -%}
                {%- do row.update({'status': 'declared'}) -%}
            {%- endif -%}
            {%- do out.append(row) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Append one table's verdicts: its skips, then its findings with first_seen carried over from earlier runs. -#}
{% macro pii_store_verdicts(verdicts, rid, full, findings, skips) -%}
    {%- set seen = [] -%}
    {%- set skip_rows = [] -%}
    {%- set found = [] -%}
    {%- for v in verdicts -%}
        {%- if v.skip_reason is not none and (v.column_name ~ '|' ~ v.skip_reason) not in seen -%}
            {%- do seen.append(v.column_name ~ '|' ~ v.skip_reason) -%}
            {%- do skip_rows.append((v.column_name, v.skip_reason)) -%}
        {%- endif -%}
        {%- if v.flagged -%}
            {%- do found.append("(" ~ dango_monitors.pii_sql_string(v.table_name) ~ ", " ~ dango_monitors.pii_sql_string(v.column_name)
                ~ ", " ~ dango_monitors.pii_sql_string(v.entity) ~ ", " ~ dango_monitors.pii_sql_string(v.match_mode)
                ~ ", " ~ (v.prevalence | round(4)) ~ ", " ~ (v.confidence | round(2)) ~ ", " ~ v.sample_size ~ ", " ~ v.matches
                ~ ", " ~ (dango_monitors.pii_sql_string(v.example) if v.example is not none else 'null') ~ ", " ~ dango_monitors.pii_sql_string(v.status) ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if verdicts -%}{%- do dango_monitors.pii_store_skips(skips, rid, verdicts[0].table_name, skip_rows) -%}{%- endif -%}
    {%- if found -%}
    {%- do run_query("insert into " ~ findings ~ " (run_id, scanned_at, table_name, column_name, entity, match_mode, prevalence,
            confidence, sample_size, matches, example, status, is_new, first_seen, last_seen, full_scan)
        select " ~ rid ~ ", current_timestamp, cast(v.table_name as varchar), cast(v.column_name as varchar), cast(v.entity as varchar),
            cast(v.match_mode as varchar), cast(v.prevalence as double precision), cast(v.confidence as double precision),
            cast(v.sample_size as bigint), cast(v.matches as bigint), cast(v.example as varchar), cast(v.status as varchar),
            p.first_seen is null, coalesce(p.first_seen, current_timestamp), current_timestamp, " ~ ('true' if full else 'false') ~ "
        from (values " ~ found | join(', ') ~ ") as v(table_name, column_name, entity, match_mode, prevalence, confidence,
            sample_size, matches, example, status)
        left join (select table_name, column_name, entity, min(first_seen) as first_seen from " ~ findings ~ "
                   where run_id <> " ~ rid ~ " group by 1, 2, 3) p
          on p.table_name = cast(v.table_name as varchar) and p.column_name = cast(v.column_name as varchar)
         and p.entity = cast(v.entity as varchar)") -%}
    {%- endif -%}
{%- endmacro %}

{#- Columns declared as PII in the project's YAML (`meta: {pii: true | [ENTITY, ...]}` on a model, seed or source
    column): {'schema.table': {column: true | [entities]}}, all lower case. -#}
{% macro pii_declared_columns() -%}
    {%- set out = {} -%}
    {%- for node in (graph.nodes.values() | list) + (graph.sources.values() | list) -%}
        {%- set ident = node.get('alias') or node.get('identifier') or node.get('name') -%}
        {%- set cols = {} -%}
        {%- for cname, c in (node.get('columns') or {}).items() -%}
            {%- set a = dango_monitors.pii_meta_allowance(c.get('meta') or (c.get('config') or {}).get('meta') or {}) -%}
            {%- if a is not none %}{% do cols.update({cname | lower: a}) %}{% endif -%}
        {%- endfor -%}
        {%- if ident and cols -%}
            {%- set key = ((node.get('schema') or '') ~ '.' ~ ident) | lower -%}
            {%- do cols.update(out.get(key, {})) -%}
            {%- do out.update({key: cols}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- One line per table with findings, masked examples only, and a total: what `dbt run-operation` shows a person. -#}
{% macro pii_log_summary(scanned) -%}
    {%- set ns = namespace(tables=0, columns=0, findings=0, new_ok=0) -%}
    {%- for label, n_columns, verdicts in scanned -%}
        {%- set ns.tables = ns.tables + 1 -%}
        {%- set ns.columns = ns.columns + n_columns -%}
        {%- set parts = [] -%}
        {%- for v in verdicts if v.flagged -%}
            {%- set ns.findings = ns.findings + 1 -%}
            {%- do parts.append(v.column_name ~ ' ' ~ v.entity ~ (' in text' if v.match_mode == 'contains' else '') ~ ' '
                ~ ((v.prevalence * 100) | round | int) ~ '% e.g. ' ~ (v.example or '?')
                ~ ({'declared': ' (declared in meta.pii)', 'acknowledged': ' (acknowledged)'}.get(v.status, ''))) -%}
        {%- endfor -%}
        {%- if parts -%}
            {{ log("dango pii: " ~ label ~ ": " ~ parts | join('; '), info=true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ log("dango pii: scanned " ~ ns.tables ~ " tables, " ~ ns.columns ~ " string columns: " ~ ns.findings ~ " findings", info=true) }}
{%- endmacro %}
