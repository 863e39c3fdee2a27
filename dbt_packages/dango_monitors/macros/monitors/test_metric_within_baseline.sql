{#- Generic test: fails when the monitor's latest complete bucket is flagged, with the same verdict as
    `dango monitors run` (both render verdict_sql). Arguments are monitors.yml keys; `as_of` defaults to now.
    Without `time_column` the values come from the recorded history (dango_metric_history) under `monitor` (its name).

    Failing rows: the total (its `reason` says "flagged by segment dim=value ..." when segments triggered it) and every
    flagged segment, each with dimension, value, change, score and a human `reason`.
    `insufficient_history`: `warn` (default: the test warns, in the output and in run_results, with the reason:
    buckets seen vs needed and the latest bucket found), `fail`, or `pass`. A NaN / infinite value is an error row.
    Drill-down columns listed in `mask_drill_down`, or with a PII `meta` in the project, are masked. -#}
{% test metric_within_baseline(model, monitor=none, value_expression='count(*)', time_column=none, grain='day',
        filter=none, drill_down=none, method='auto', compare=none, alert_threshold=none, warn_threshold=none,
        lookback_days=none, sensitivity=none, direction=none, seasonality=none, min_history=none,
        min_change_pct=none, segment_alerts=none, min_segment_share=none, max_dimension_values=none,
        metric_kind=none, new_segment_share=none, mask_drill_down=none, as_of=none, insufficient_history='warn') %}
    {%- if insufficient_history not in ['warn', 'fail', 'pass'] -%}
        {{ exceptions.raise_compiler_error("metric_within_baseline: insufficient_history must be warn, fail or pass, not "
            ~ insufficient_history) }}
    {%- endif -%}
    {%- do dango_monitors.require_relation(model, 'metric_within_baseline') -%}
    {%- set errors = ["'flagged'", "'error'"] + (["'insufficient_history'"] if insufficient_history == 'fail' else []) -%}
    {%- set shown = errors + (["'insufficient_history'"] if insufficient_history == 'warn' else []) -%}
    {#- The test's rows decide between error and warning: dbt evaluates `<fail_calc> <error_if>` over them. -#}
    {{ config(
        fail_calc='count(*)',
        warn_if='!= 0',
        error_if='!= 0 and max(case when monitor_status in (' ~ errors | join(', ') ~ ') then 1 else 0 end) = 1') }}
    {%- set m = dango_monitors.monitor_config({
        'name': monitor or ('metric_' ~ model.identifier), 'source_table': none,
        'value_expression': value_expression, 'time_column': time_column, 'grain': grain, 'filter': filter,
        'drill_down': drill_down, 'method': method, 'compare': compare,
        'alert_threshold': alert_threshold or warn_threshold, 'lookback_days': lookback_days,
        'sensitivity': sensitivity, 'direction': direction, 'seasonality': seasonality, 'min_history': min_history,
        'min_change_pct': min_change_pct, 'segment_alerts': segment_alerts, 'min_segment_share': min_segment_share,
        'max_dimension_values': max_dimension_values, 'metric_kind': metric_kind,
        'new_segment_share': new_segment_share, 'mask_drill_down': mask_drill_down}) -%}
    {%- set as_of_sql = dango_monitors.as_of_sql(as_of) -%}
    {%- if execute and m.drill_down -%}
        {%- set pii = dango_monitors.pii_columns(model.schema, model.identifier) -%}
        {%- set mask = m.mask_drill_down | list -%}
        {%- for col in m.drill_down -%}
            {%- if col | lower in pii and col not in mask -%}{%- do mask.append(col) -%}{%- endif -%}
        {%- endfor -%}
        {%- do m.update({'mask_drill_down': mask}) -%}
    {%- endif -%}
    {%- if m.time_column -%}
        {%- set columns = dango_monitors.relation_columns(model.database, model.schema, model.identifier) if execute else [] -%}
        {%- if execute and not columns -%}
            {{ exceptions.raise_compiler_error("metric_within_baseline: relation " ~ model ~ " does not exist") }}
        {%- endif -%}
        {%- set history = dango_monitors.collect_sql(model, [m], as_of_sql,
            dango_monitors.time_utc_sql(model, m.time_column, columns if execute else none)) -%}
    {%- else -%}
        {%- if execute -%}{%- do dango_monitors.create_monitor_tables() -%}{%- endif -%}
        {%- set history = 'select * from ' ~ dango_monitors.dango_relation('dango_metric_history') -%}
    {%- endif -%}
    {%- set query -%}
select monitor, bucket_start, dimension, dimension_value, value, baseline, change_pct, score, monitor_status,
    series_status, reason
from ({{ dango_monitors.verdict_sql(history, m, as_of_sql) }}) as __verdict
where monitor_status in ({{ shown | join(', ') }})
    and (dimension = '__total__' or series_status in ('flagged', 'error'))
    {%- endset -%}
    {%- if not execute -%}
{{ query }}
    {%- else -%}
{{ dango_monitors.verdict_rows_sql(query, m.name) }}
    {%- endif -%}
{% endtest %}

{#- Runs the test's verdict query once, logs each failing row's reason (so `dbt test` says why, not only "Got N
    results"), and returns the same rows as literals for dbt to count and store (--store-failures): the table is
    scanned once. -#}
{% macro verdict_rows_sql(query, name) -%}
    {%- set columns = [('monitor', 'varchar'), ('bucket_start', 'timestamp'), ('dimension', 'varchar'),
        ('dimension_value', 'varchar'), ('value', 'double'), ('baseline', 'double'), ('change_pct', 'double'),
        ('score', 'double'), ('monitor_status', 'varchar'), ('series_status', 'varchar'), ('reason', 'varchar')] -%}
    {%- set as_text = [] -%}
    {%- for c, t in columns -%}{%- do as_text.append('cast(' ~ c ~ ' as varchar) as ' ~ c) -%}{%- endfor -%}
    {%- set rows = run_query('select ' ~ as_text | join(', ') ~ ' from (' ~ query ~ ') as __q order by dimension <> '
        ~ "'__total__', dimension, dimension_value").rows -%}
    {%- set selects = [] -%}
    {%- for r in rows -%}
        {%- set cells = [] -%}
        {%- for c, t in columns -%}
            {%- set v = r[loop.index0] -%}
            {%- set type = dango_monitors.type_double() if t == 'double' else t -%}
            {%- do cells.append('cast(' ~ ('null' if v is none else dango_monitors.sql_string(v)) ~ ' as ' ~ type ~ ') as ' ~ c) -%}
        {%- endfor -%}
        {%- do selects.append('select ' ~ cells | join(', ')) -%}
        {{ log('dango_monitors.metric_within_baseline ' ~ name ~ ': ' ~ r[8] ~ ' - ' ~ r[10], info=True) }}
    {%- endfor -%}
    {%- if not selects -%}
        {%- set cells = [] -%}
        {%- for c, t in columns -%}
            {%- do cells.append('cast(null as ' ~ (dango_monitors.type_double() if t == 'double' else t) ~ ') as ' ~ c) -%}
        {%- endfor -%}
        {{ return('select ' ~ cells | join(', ') ~ ' where 1 = 0') }}
    {%- endif -%}
    {{ return(selects | join('\nunion all\n')) }}
{%- endmacro %}
