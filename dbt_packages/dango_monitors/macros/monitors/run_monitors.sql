{#- `dbt run-operation dango_monitors.run_monitors --args '{monitors: [...], as_of: ..., run_id: ...}'`

    1. Collection: for each (source_table, time_column, grain), ONE scan (collect_sql) whose rows replace that window of
       dango_metric_history (time-bucketed monitors: every bucket of the training window, recomputed from the data, so
       re-running a logical date never duplicates; snapshot monitors: the row of this as_of).
    2. Verdict: verdict_sql over the history, one row per series, into dango_monitor_results (keyed by run_id).
    3. A short summary for people in the dbt log: each monitor's verdict and what drove it.

    Table names from monitors.yml reach SQL only through quote_ident (table_sql); drill-down columns with a PII
    finding or PII `meta` are masked in the warehouse before anything is stored or logged. -#}
{% macro run_monitors(monitors, as_of=none, run_id=none) -%}
    {%- set run_id = run_id or invocation_id -%}
    {%- set as_of_sql = dango_monitors.as_of_sql(as_of) -%}
    {%- set history = dango_monitors.dango_relation('dango_metric_history') -%}
    {%- set results = dango_monitors.dango_relation('dango_monitor_results') -%}
    {%- do dango_monitors.create_monitor_tables() -%}
    {%- set configs = [] -%}
    {%- for raw in monitors -%}{%- do configs.append(dango_monitors.monitor_config(raw)) -%}{%- endfor -%}
    {%- set groups = {} -%}
    {%- set order = [] -%}
    {%- for m in configs -%}
        {%- if not m.source_table -%}
            {{ exceptions.raise_compiler_error("monitor " ~ m.name ~ ": source_table is required") }}
        {%- endif -%}
        {%- set key = m.source_table ~ '|' ~ (m.time_column or '') ~ '|' ~ (m.grain if m.time_column else '') -%}
        {%- if key not in groups -%}{%- do groups.update({key: []}) -%}{%- do order.append(key) -%}{%- endif -%}
        {%- do groups[key].append(m) -%}
    {%- endfor -%}
    {%- for key in order -%}
        {%- set first = groups[key][0] -%}
        {%- set parts = dango_monitors.source_parts(first.source_table) -%}
        {%- set relation = dango_monitors.table_sql(first.source_table) -%}
        {%- set columns = dango_monitors.relation_columns(parts[0] if parts | length == 3 else none, parts[-2], parts[-1]) -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error("monitor " ~ first.name ~ ": relation " ~ relation ~ " does not exist") }}
        {%- endif -%}
        {%- set pii = dango_monitors.pii_columns(parts[-2], parts[-1]) -%}
        {%- set members = [] -%}
        {%- for m in groups[key] -%}
            {%- set mask = m.mask_drill_down | list -%}
            {%- for col in m.drill_down -%}
                {%- if col | lower in pii and col not in mask -%}{%- do mask.append(col) -%}{%- endif -%}
            {%- endfor -%}
            {%- do m.update({'mask_drill_down': mask}) -%}
            {%- do members.append(m) -%}
        {%- endfor -%}
        {%- set time_sql = dango_monitors.time_utc_sql(relation, first.time_column, columns) if first.time_column else none -%}
        {%- set names = [] -%}
        {%- for m in members -%}{%- do names.append(dango_monitors.sql_string(m.name)) -%}{%- endfor -%}
        {%- if first.time_column -%}
            {%- set ns = namespace(days=0) -%}
            {%- for m in members -%}
                {%- set d = dango_monitors.window_days(m.lookback_days, first.grain) | int -%}
                {%- if d > ns.days -%}{%- set ns.days = d -%}{%- endif -%}
            {%- endfor -%}
            {%- set tb = dango_monitors.test_bucket_sql(as_of_sql, first.grain) -%}
            {%- set replaced = "bucket_start >= " ~ tb ~ " - interval '" ~ ns.days ~ " days' and bucket_start <= " ~ tb -%}
        {%- else -%}
            {%- set replaced = "bucket_start = " ~ as_of_sql -%}
        {%- endif -%}
        {%- call statement('dango_monitors_delete_' ~ loop.index0) -%}
            delete from {{ history }} where monitor in ({{ names | join(', ') }}) and {{ replaced }}
        {%- endcall -%}
        {%- call statement('dango_monitors_collect_' ~ loop.index0) -%}
            insert into {{ history }} (monitor, bucket_start, dimension, dimension_value, value, run_id, computed_at)
            select monitor, bucket_start, dimension, dimension_value, value, {{ dango_monitors.sql_string(run_id) }},
                {{ dango_monitors.as_of_sql(none) }}
            from ({{ dango_monitors.collect_sql(relation, members, as_of_sql, time_sql) }}) as __collected
        {%- endcall -%}
    {%- endfor -%}
    {%- set names = [] -%}
    {%- for m in configs -%}{%- do names.append(dango_monitors.sql_string(m.name)) -%}{%- endfor -%}
    {%- if names -%}
        {%- call statement('dango_monitors_results_delete') -%}
            delete from {{ results }} where run_id = {{ dango_monitors.sql_string(run_id) }} and monitor in ({{ names | join(', ') }})
        {%- endcall -%}
    {%- endif -%}
    {%- for m in configs -%}
        {%- call statement('dango_monitors_verdict_' ~ loop.index0) -%}
            insert into {{ results }} (run_id, monitor, bucket_start, dimension, dimension_value, value, baseline,
                change_pct, score, scale, n_train, series_status, monitor_status, method, reason, flagged_by,
                computed_at)
            select {{ dango_monitors.sql_string(run_id) }}, monitor, bucket_start, dimension, dimension_value, value,
                baseline, change_pct, score, scale, n_train, series_status, monitor_status, method, reason, flagged_by,
                {{ dango_monitors.as_of_sql(none) }}
            from ({{ dango_monitors.verdict_sql('select * from ' ~ history, m, as_of_sql) }}) as __verdict
        {%- endcall -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {%- do dango_monitors.log_monitor_summary(results, run_id, configs) -%}
{%- endmacro %}

{#- One line per monitor: its verdict and reason (for a flagged total: the segments that flagged it), then the
    count of each verdict. PII drill-down values are already masked in the results table. -#}
{% macro log_monitor_summary(results, run_id, configs) -%}
    {%- if not execute or not configs -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query("select monitor, monitor_status, reason from " ~ results ~ " where run_id = "
        ~ dango_monitors.sql_string(run_id) ~ " and dimension = '__total__' order by monitor").rows -%}
    {%- set counts = {} -%}
    {%- set lines = [] -%}
    {%- for r in rows -%}
        {%- do counts.update({r[1]: counts.get(r[1], 0) + 1}) -%}
        {%- do lines.append('  ' ~ r[0] ~ ': ' ~ r[1] ~ ' - ' ~ r[2]) -%}
    {%- endfor -%}
    {%- set tally = [] -%}
    {%- for status in ['error', 'flagged', 'insufficient_history', 'normal'] -%}
        {%- if counts.get(status) -%}{%- do tally.append(counts[status] ~ ' ' ~ status) -%}{%- endif -%}
    {%- endfor -%}
    {{ log('dango_monitors run ' ~ run_id ~ ': ' ~ rows | length ~ ' monitor(s): ' ~ tally | join(', ') ~ '\n'
        ~ lines | join('\n'), info=True) }}
{%- endmacro %}

{#- Lower-cased names of the columns of schema.table with a PII `meta` in the dbt project (models, seeds,
    snapshots, sources) or a recorded PII finding (dango_pii_findings, written by `dango pii scan`). -#}
{% macro pii_columns(schema, identifier) -%}
    {%- set found = [] -%}
    {%- if not execute -%}{{ return(found) }}{%- endif -%}
    {%- set nodes = (graph.nodes.values() | list) + (graph.sources.values() | list) -%}
    {%- for node in nodes -%}
        {%- set ident = node.get('alias') or node.get('identifier') or node.get('name') -%}
        {%- if ident and ident | lower == identifier | lower and (node.get('schema') or '') | lower == schema | lower -%}
            {%- for cname, c in node.get('columns', {}).items() -%}
                {%- set meta = c.get('meta') or (c.get('config') or {}).get('meta') or {} -%}
                {%- if meta.get('pii') not in [none, false, [], ''] -%}{%- do found.append(cname | lower) -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if dango_monitors.relation_columns(none, dango_monitors.dango_schema(), 'dango_pii_findings') -%}
        {%- set query = "select distinct lower(column_name) from " ~ dango_monitors.dango_relation('dango_pii_findings')
            ~ " where lower(table_name) = " ~ dango_monitors.sql_string((schema ~ '.' ~ identifier) | lower) -%}
        {%- for row in run_query(query).rows -%}{%- do found.append(row[0]) -%}{%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{% macro create_monitor_tables() -%}
    {%- set dbl = dango_monitors.type_double() -%}
    {%- call statement('dango_monitors_schema') -%}
        create schema if not exists {{ dango_monitors.quote_ident(dango_monitors.dango_schema()) }}
    {%- endcall -%}
    {%- call statement('dango_monitors_history_table') -%}
        create table if not exists {{ dango_monitors.dango_relation('dango_metric_history') }} (
            monitor varchar, bucket_start timestamp, dimension varchar, dimension_value varchar, value {{ dbl }},
            run_id varchar, computed_at timestamp
        )
    {%- endcall -%}
    {%- call statement('dango_monitors_results_table') -%}
        create table if not exists {{ dango_monitors.dango_relation('dango_monitor_results') }} (
            run_id varchar, monitor varchar, bucket_start timestamp, dimension varchar, dimension_value varchar,
            value {{ dbl }}, baseline {{ dbl }}, change_pct {{ dbl }}, score {{ dbl }}, scale {{ dbl }},
            n_train integer, series_status varchar, monitor_status varchar, method varchar, computed_at timestamp,
            reason varchar, flagged_by varchar
        )
    {%- endcall -%}
    {#- Tables created by an earlier version lack the human columns. -#}
    {%- for col in ['reason', 'flagged_by'] -%}
        {%- call statement('dango_monitors_results_' ~ col) -%}
            alter table {{ dango_monitors.dango_relation('dango_monitor_results') }} add column if not exists {{ col }} varchar
        {%- endcall -%}
    {%- endfor -%}
{%- endmacro %}
