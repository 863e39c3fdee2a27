{#- `dbt run-operation dango_monitors.run_monitors --args '{monitors: [...], as_of: ..., run_id: ...}'`

    1. Collection: for each (source_table, time_column, grain), ONE scan (collect_sql) whose rows replace that window of
       dango_metric_history (time-bucketed monitors: every bucket of the training window, recomputed from the data, so
       re-running a logical date never duplicates; snapshot monitors: the row of this as_of).
    2. Verdict: verdict_sql over the history, one row per series, into dango_monitor_results (keyed by run_id). -#}
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
        {%- set key = m.source_table ~ '|' ~ (m.time_column or '') ~ '|' ~ (m.grain if m.time_column else '') -%}
        {%- if key not in groups -%}{%- do groups.update({key: []}) -%}{%- do order.append(key) -%}{%- endif -%}
        {%- do groups[key].append(m) -%}
    {%- endfor -%}
    {%- for key in order -%}
        {%- set members = groups[key] -%}
        {%- set first = members[0] -%}
        {%- set parts = first.source_table.split('.') -%}
        {%- set relation = api.Relation.create(
            database=parts[0] if parts | length == 3 else none,
            schema=parts[-2], identifier=parts[-1]) -%}
        {%- set time_sql = dango_monitors.time_utc_sql(relation, first.time_column) if first.time_column else none -%}
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
                change_pct, score, scale, n_train, series_status, monitor_status, method, computed_at)
            select {{ dango_monitors.sql_string(run_id) }}, monitor, bucket_start, dimension, dimension_value, value,
                baseline, change_pct, score, scale, n_train, series_status, monitor_status, method,
                {{ dango_monitors.as_of_sql(none) }}
            from ({{ dango_monitors.verdict_sql('select * from ' ~ history, m, as_of_sql) }}) as __verdict
        {%- endcall -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log('dango_monitors: ' ~ configs | length ~ ' monitors judged, run ' ~ run_id, info=True) }}
{%- endmacro %}

{% macro create_monitor_tables() -%}
    {%- call statement('dango_monitors_schema') -%}
        create schema if not exists {{ dango_monitors.quote_ident(dango_monitors.dango_schema()) }}
    {%- endcall -%}
    {%- call statement('dango_monitors_history_table') -%}
        create table if not exists {{ dango_monitors.dango_relation('dango_metric_history') }} (
            monitor varchar, bucket_start timestamp, dimension varchar, dimension_value varchar, value double,
            run_id varchar, computed_at timestamp
        )
    {%- endcall -%}
    {%- call statement('dango_monitors_results_table') -%}
        create table if not exists {{ dango_monitors.dango_relation('dango_monitor_results') }} (
            run_id varchar, monitor varchar, bucket_start timestamp, dimension varchar, dimension_value varchar,
            value double, baseline double, change_pct double, score double, scale double, n_train integer,
            series_status varchar, monitor_status varchar, method varchar, computed_at timestamp
        )
    {%- endcall -%}
{%- endmacro %}
