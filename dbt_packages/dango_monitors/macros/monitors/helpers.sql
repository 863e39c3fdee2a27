{#- Monitor helpers: config defaults, time handling and the few SQL spellings that differ between warehouses. -#}

{#- Fill a monitor's defaults. The Python CLI sends resolved configs; this makes the dbt test work on its own with the
    same defaults (kept equal to airflow_provider_dango/config/monitors.py; tests/monitors checks they agree). -#}
{% macro monitor_config(cfg) -%}
    {%- set c = {
        'name': cfg.get('name') or 'metric',
        'source_table': cfg.get('source_table'),
        'value_expression': cfg.get('value_expression') or 'count(*)',
        'filter': cfg.get('filter'),
        'compare': cfg.get('compare') or 'week_over_week',
        'alert_threshold': (cfg.get('alert_threshold') or cfg.get('warn_threshold') or 20.0) | float,
        'drill_down': cfg.get('drill_down') or [],
        'time_column': cfg.get('time_column'),
        'grain': cfg.get('grain') or 'day',
        'lookback_days': (cfg.get('lookback_days') or 56) | int,
        'method': cfg.get('method') or 'auto',
        'sensitivity': (cfg.get('sensitivity') or 3.0) | float,
        'direction': cfg.get('direction') or 'both',
        'seasonality': cfg.get('seasonality') or 'auto',
        'min_history': cfg.get('min_history'),
        'min_change_pct': (5.0 if cfg.get('min_change_pct') is none else cfg.get('min_change_pct')) | float,
        'segment_alerts': true if cfg.get('segment_alerts') is none else cfg.get('segment_alerts'),
        'min_segment_share': (5.0 if cfg.get('min_segment_share') is none else cfg.get('min_segment_share')) | float,
        'max_dimension_values': (cfg.get('max_dimension_values') or 20) | int,
    } -%}
    {%- if c.method == 'auto' -%}
        {%- do c.update({'method': 'mad' if c.time_column else 'pct_change'}) -%}
    {%- endif -%}
    {%- if c.seasonality == 'auto' -%}
        {%- set seasonal = {'hour': 'hour_of_week', 'day': 'day_of_week', 'week': 'none'} -%}
        {%- do c.update({'seasonality': seasonal[c.grain] if c.time_column else 'none'}) -%}
    {%- endif -%}
    {%- if c.min_history is none -%}
        {%- do c.update({'min_history': 1 if c.method == 'pct_change' else 6}) -%}
    {%- endif -%}
    {%- for key, allowed in [
        ('compare', ['week_over_week', 'rolling_7day_avg', 'rolling_30day_avg', 'prior_period', 'none']),
        ('grain', ['hour', 'day', 'week']),
        ('method', ['pct_change', 'zscore', 'mad']),
        ('direction', ['up', 'down', 'both']),
        ('seasonality', ['none', 'day_of_week', 'day_of_month', 'hour_of_day', 'hour_of_week'])] -%}
        {%- if c[key] not in allowed -%}
            {{ exceptions.raise_compiler_error("monitor " ~ c.name ~ ": " ~ key ~ " must be one of " ~ allowed | join(', ') ~ ", not " ~ c[key]) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(c) }}
{%- endmacro %}

{#- A SQL string literal. -#}
{% macro sql_string(value) -%}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- `schema.table` (or `db.schema.table`) from monitors.yml -> a quoted relation name. -#}
{% macro table_sql(source_table) -%}
    {%- set parts = source_table.split('.') -%}
    {%- set quoted = [] -%}
    {%- for p in parts -%}{%- do quoted.append(dango_monitors.quote_ident(p)) -%}{%- endfor -%}
    {{ return(quoted | join('.')) }}
{%- endmacro %}

{% macro grain_interval(grain) -%}
    {{ return({'hour': "interval '1 hour'", 'day': "interval '1 day'", 'week': "interval '7 days'"}[grain]) }}
{%- endmacro %}

{#- The training window in days, rounded up to whole weeks for weekly buckets so the first bucket is complete. -#}
{% macro window_days(lookback_days, grain) -%}
    {%- if grain == 'week' -%}
        {{ return(((lookback_days + 6) // 7) * 7) }}
    {%- endif -%}
    {{ return(lookback_days) }}
{%- endmacro %}

{#- `as_of` (naive UTC timestamp text; the CLI normalises it) or the current time in UTC. -#}
{% macro as_of_sql(as_of) -%}
    {%- if as_of -%}
        {{ return("cast(" ~ dango_monitors.sql_string(as_of) ~ " as timestamp)") }}
    {%- endif -%}
    {{ return(adapter.dispatch('now_utc', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__now_utc() -%}
    {{ return("cast((current_timestamp at time zone 'UTC') as timestamp)") }}
{%- endmacro %}

{% macro duckdb__now_utc() -%}
    {{ return("cast(timezone('UTC', now()) as timestamp)") }}
{%- endmacro %}

{#- The bucket under test: the latest complete bucket before as_of. -#}
{% macro test_bucket_sql(as_of_sql, grain) -%}
    {{ return("(date_trunc('" ~ grain ~ "', " ~ as_of_sql ~ ") - " ~ dango_monitors.grain_interval(grain) ~ ")") }}
{%- endmacro %}

{#- A time column as a naive UTC timestamp, whatever its type: time-zone aware values are converted to UTC, naive
    timestamps and dates are taken as UTC already. -#}
{% macro time_utc_sql(relation, column) -%}
    {%- set ns = namespace(found=none) -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column | lower -%}{%- set ns.found = col -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set found = ns.found -%}
    {%- if execute -%}
        {%- if found is none -%}
            {{ exceptions.raise_compiler_error("time_column " ~ column ~ " not found in " ~ relation) }}
        {%- endif -%}
    {%- endif -%}
    {%- set quoted = dango_monitors.quote_ident(found.name if found is not none else column) -%}
    {%- set dtype = (found.dtype if found is not none else '') | upper -%}
    {%- if 'TIME ZONE' in dtype or dtype == 'TIMESTAMPTZ' -%}
        {{ return(adapter.dispatch('tz_to_utc', 'dango_monitors')(quoted)) }}
    {%- endif -%}
    {{ return("cast(" ~ quoted ~ " as timestamp)") }}
{%- endmacro %}

{% macro default__tz_to_utc(expr) -%}
    {{ return("cast((" ~ expr ~ " at time zone 'UTC') as timestamp)") }}
{%- endmacro %}

{% macro duckdb__tz_to_utc(expr) -%}
    {{ return("cast(timezone('UTC', " ~ expr ~ ") as timestamp)") }}
{%- endmacro %}

{% macro median_sql(expr) -%}
    {{ return(adapter.dispatch('median_sql', 'dango_monitors')(expr)) }}
{%- endmacro %}

{% macro default__median_sql(expr) -%}
    {{ return("percentile_cont(0.5) within group (order by " ~ expr ~ ")") }}
{%- endmacro %}

{% macro duckdb__median_sql(expr) -%}
    {{ return("median(" ~ expr ~ ")") }}
{%- endmacro %}

{#- One row per bucket from `start_sql` to `end_sql` (inclusive), column `bucket_start`. -#}
{% macro bucket_spine(start_sql, end_sql, grain) -%}
    {{ return(adapter.dispatch('bucket_spine', 'dango_monitors')(start_sql, end_sql, grain)) }}
{%- endmacro %}

{% macro default__bucket_spine(start_sql, end_sql, grain) -%}
    {{ return("select cast(generate_series(" ~ start_sql ~ ", " ~ end_sql ~ ", " ~ dango_monitors.grain_interval(grain) ~ ") as timestamp) as bucket_start") }}
{%- endmacro %}

{% macro duckdb__bucket_spine(start_sql, end_sql, grain) -%}
    {{ return("select cast(unnest(generate_series(" ~ start_sql ~ ", " ~ end_sql ~ ", " ~ dango_monitors.grain_interval(grain) ~ ")) as timestamp) as bucket_start") }}
{%- endmacro %}

{#- The seasonal key of a bucket: training uses only buckets with the same key as the bucket under test. -#}
{% macro season_key(expr, seasonality) -%}
    {%- set keys = {
        'none': '0',
        'day_of_week': 'extract(isodow from ' ~ expr ~ ')',
        'day_of_month': 'extract(day from ' ~ expr ~ ')',
        'hour_of_day': 'extract(hour from ' ~ expr ~ ')',
        'hour_of_week': '(extract(isodow from ' ~ expr ~ ') * 24 + extract(hour from ' ~ expr ~ '))',
    } -%}
    {{ return(keys[seasonality]) }}
{%- endmacro %}

{% macro seconds_between(a, b) -%}
    {{ return("extract(epoch from (" ~ a ~ " - " ~ b ~ "))") }}
{%- endmacro %}
