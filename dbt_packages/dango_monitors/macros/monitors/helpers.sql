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
        'metric_kind': cfg.get('metric_kind') or 'auto',
        'new_segment_share': (10.0 if cfg.get('new_segment_share') is none else cfg.get('new_segment_share')) | float,
        'mask_drill_down': cfg.get('mask_drill_down') or [],
    } -%}
    {%- do dango_monitors.require_one_expression(c.value_expression, 'value_expression', c.name) -%}
    {%- if c.filter -%}{%- do dango_monitors.require_one_expression(c.filter, 'filter', c.name) -%}{%- endif -%}
    {%- if c.metric_kind == 'auto' -%}
        {%- do c.update({'metric_kind': 'count' if dango_monitors.is_count_expression(c.value_expression) else 'value'}) -%}
    {%- endif -%}
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
        ('seasonality', ['none', 'day_of_week', 'day_of_month', 'hour_of_day', 'hour_of_week']),
        ('metric_kind', ['count', 'value'])] -%}
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

{#- Count metrics get a count-aware test (verdict_sql): count(*), count(col), count(distinct col), count_if(...) and
    sums of 0/1 flags written as `sum(case when ... then 1 else 0 end)`. Anything else is a value metric unless the
    monitor says `metric_kind: count` (for example `sum(is_refund)` over a 0/1 column). -#}
{% macro is_count_expression(expr) -%}
    {%- set e = modules.re.sub('\\s+', ' ', expr | lower).strip() -%}
    {%- set patterns = [
        '^count ?\\( ?(\\*|distinct [^()]+|[^()]+) ?\\)$',
        '^count_if ?\\(.*\\)$',
        '^sum ?\\( ?case when .+ then 1 (else 0 )?end ?\\)$',
    ] -%}
    {%- for p in patterns -%}
        {%- if modules.re.match(p, e) -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- `value_expression` and `filter` are SQL by design (they run with the warehouse credentials the monitor already
    has), but they are pasted into a larger statement: refuse anything that could end it and start another (a `;`
    outside quotes), or comment out the rest of it (`--`, `/*`). A `;` inside quotes is refused too when the text has
    a backslash or a `$` (E'..' escapes and dollar quoting could make the warehouse see the quotes elsewhere). -#}
{% macro require_one_expression(sql, key, monitor) -%}
    {%- set text = sql | string -%}
    {%- set ns = namespace(quote=none, bad=none) -%}
    {%- for ch in text -%}
        {%- set i = loop.index0 -%}
        {%- if ns.bad is none -%}
            {%- if ns.quote is not none -%}
                {%- if ch == ns.quote -%}{%- set ns.quote = none -%}{%- endif -%}
            {%- elif ch in ["'", '"'] -%}
                {%- set ns.quote = ch -%}
            {%- elif ch == ';' -%}
                {%- set ns.bad = "a ';' (only one SQL expression is allowed)" -%}
            {%- elif (ch == '-' and text[i + 1:i + 2] == '-') or (ch == '/' and text[i + 1:i + 2] == '*') -%}
                {%- set ns.bad = "a SQL comment" -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.bad is none and ns.quote is not none -%}{%- set ns.bad = "an unclosed " ~ ns.quote ~ " quote" -%}{%- endif -%}
    {%- if ns.bad is none and ';' in text and ('\\' in text or '$' in text) -%}
        {%- set ns.bad = "a ';' next to a backslash or dollar quote" -%}
    {%- endif -%}
    {%- if ns.bad is not none -%}
        {{ exceptions.raise_compiler_error("monitor " ~ monitor ~ ": " ~ key ~ " contains " ~ ns.bad ~ ": " ~ text) }}
    {%- endif -%}
{%- endmacro %}

{#- `schema.table` (or `db.schema.table`) from monitors.yml -> its parts. A part may be written in double quotes
    (SQL style, `""` for a quote) to hold a dot; otherwise a part runs to the next dot and is taken literally, so
    `we"ird.a"b` is schema `we"ird`, table `a"b`. -#}
{% macro source_parts(source_table) -%}
    {%- set text = source_table | string -%}
    {%- set parts = [] -%}
    {%- set ns = namespace(cur='', quoted=false, inq=false, skip=false) -%}
    {%- for ch in text -%}
        {%- set i = loop.index0 -%}
        {%- if ns.skip -%}
            {%- set ns.skip = false -%}
        {%- elif ns.inq -%}
            {%- if ch == '"' and text[i + 1:i + 2] == '"' -%}
                {%- set ns.cur = ns.cur ~ '"' -%}{%- set ns.skip = true -%}
            {%- elif ch == '"' -%}
                {%- set ns.inq = false -%}
            {%- else -%}
                {%- set ns.cur = ns.cur ~ ch -%}
            {%- endif -%}
        {%- elif ch == '"' and ns.cur == '' and not ns.quoted -%}
            {%- set ns.inq = true -%}{%- set ns.quoted = true -%}
        {%- elif ch == '.' -%}
            {%- do parts.append(ns.cur) -%}{%- set ns.cur = '' -%}{%- set ns.quoted = false -%}
        {%- else -%}
            {%- set ns.cur = ns.cur ~ ch -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do parts.append(ns.cur) -%}
    {%- if parts | length not in [2, 3] or '' in parts -%}
        {{ exceptions.raise_compiler_error("source_table must be schema.table or database.schema.table, not " ~ text) }}
    {%- endif -%}
    {{ return(parts) }}
{%- endmacro %}

{#- `schema.table` (or `db.schema.table`) from monitors.yml -> a quoted relation name (every part through
    quote_ident; never dbt's Relation rendering, which does not escape quotes inside names). -#}
{% macro table_sql(source_table) -%}
    {%- set quoted = [] -%}
    {%- for p in dango_monitors.source_parts(source_table) -%}{%- do quoted.append(dango_monitors.quote_ident(p)) -%}{%- endfor -%}
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
{% macro time_utc_sql(relation, column, columns=none) -%}
    {#- columns: the relation's columns ({name, data_type}) when the caller has read them already. -#}
    {%- set ns = namespace(name=none, dtype='') -%}
    {%- if execute -%}
        {%- if columns is none -%}
            {%- set columns = [] -%}
            {%- for col in adapter.get_columns_in_relation(relation) -%}
                {%- do columns.append({'name': col.name, 'data_type': col.dtype | upper}) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for col in columns -%}
            {%- if col.name | lower == column | lower -%}{%- set ns.name = col.name -%}{%- set ns.dtype = col.data_type -%}{%- endif -%}
        {%- endfor -%}
        {%- if ns.name is none -%}
            {{ exceptions.raise_compiler_error("time_column " ~ column ~ " not found in " ~ relation) }}
        {%- endif -%}
    {%- endif -%}
    {%- set quoted = dango_monitors.quote_ident(ns.name if ns.name is not none else column) -%}
    {%- set dtype = ns.dtype | upper -%}
    {#- PostgreSQL spells a naive timestamp `timestamp without time zone`: only WITH TIME ZONE is aware. -#}
    {%- if 'WITH TIME ZONE' in dtype or dtype == 'TIMESTAMPTZ' -%}
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

{#- How a seasonal key reads in a reason ("3 of 6 baseline buckets on the same weekday"). -#}
{% macro season_words(seasonality) -%}
    {{ return({'none': '', 'day_of_week': ' on the same weekday', 'day_of_month': ' on the same day of the month',
               'hour_of_day': ' at the same hour', 'hour_of_week': ' at the same hour of the week'}[seasonality]) }}
{%- endmacro %}

{% macro seconds_between(a, b) -%}
    {{ return("extract(epoch from (" ~ a ~ " - " ~ b ~ "))") }}
{%- endmacro %}
