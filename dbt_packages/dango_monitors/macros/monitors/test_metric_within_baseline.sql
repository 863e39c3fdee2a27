{#- Generic test: fails (one row) when the monitor's latest complete bucket is flagged, with the same verdict as
    `dango monitors run` (both render verdict_sql). Arguments are monitors.yml keys; `as_of` defaults to now.
    Without `time_column` the values come from the recorded history (dango_metric_history) under `monitor` (its name).
    `insufficient_history: fail` makes a monitor without enough history fail instead of pass. -#}
{% test metric_within_baseline(model, monitor=none, value_expression='count(*)', time_column=none, grain='day',
        filter=none, drill_down=none, method='auto', compare=none, alert_threshold=none, warn_threshold=none,
        lookback_days=none, sensitivity=none, direction=none, seasonality=none, min_history=none,
        min_change_pct=none, segment_alerts=none, min_segment_share=none, max_dimension_values=none,
        as_of=none, insufficient_history='pass') %}
    {%- do dango_monitors.require_relation(model, 'metric_within_baseline') -%}
    {%- set m = dango_monitors.monitor_config({
        'name': monitor or ('metric_' ~ model.identifier), 'source_table': none,
        'value_expression': value_expression, 'time_column': time_column, 'grain': grain, 'filter': filter,
        'drill_down': drill_down, 'method': method, 'compare': compare,
        'alert_threshold': alert_threshold or warn_threshold, 'lookback_days': lookback_days,
        'sensitivity': sensitivity, 'direction': direction, 'seasonality': seasonality, 'min_history': min_history,
        'min_change_pct': min_change_pct, 'segment_alerts': segment_alerts, 'min_segment_share': min_segment_share,
        'max_dimension_values': max_dimension_values}) -%}
    {%- set as_of_sql = dango_monitors.as_of_sql(as_of) -%}
    {%- if m.time_column -%}
        {%- set history = dango_monitors.collect_sql(model, [m], as_of_sql, dango_monitors.time_utc_sql(model, m.time_column)) -%}
    {%- else -%}
        {%- if execute -%}{%- do dango_monitors.create_monitor_tables() -%}{%- endif -%}
        {%- set history = 'select * from ' ~ dango_monitors.dango_relation('dango_metric_history') -%}
    {%- endif -%}
    {%- set failing = ["'flagged'"] + (["'insufficient_history'"] if insufficient_history == 'fail' else []) -%}
select monitor, bucket_start, value, baseline, change_pct, score, monitor_status
from ({{ dango_monitors.verdict_sql(history, m, as_of_sql) }}) as __verdict
where dimension = '__total__' and monitor_status in ({{ failing | join(', ') }})
{% endtest %}
