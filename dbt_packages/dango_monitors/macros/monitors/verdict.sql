{#- The flag verdict: the ONE place it is computed. The dbt test metric_within_baseline and the CLI / Airflow task
    (through run_monitors) both render this macro, so they cannot disagree.

    Input `history_sql`: a query with monitor, bucket_start, dimension, dimension_value, value. Output: one row per
    series (the total and every drill-down segment) of monitor `m` for the bucket under test, with its baseline,
    change %, score, series_status and the monitor's overall monitor_status ('flagged', 'normal',
    'insufficient_history').

    Rules: the bucket under test is never in its own training set; time-bucketed series are densified (a bucket with
    no rows counts 0, NULL values count 0) from the monitor's first bucket on; seasonal methods train only on buckets
    with the same seasonal key (weekday, day of month, hour, hour of week); `mad` = median and 1.4826 * MAD of the
    window's leave-one-out deviations (pooled over seasons), widened by sqrt(1 + pi / 2n) for a new point against a
    median of n (past incidents inside the window do not move it), `zscore` = mean and sample standard deviation, `pct_change` =
    Dango's compare modes (week_over_week: the value nearest 7 days earlier; rolling_N: mean of the previous N days,
    without the value under test; prior_period: the previous value). -#}
{% macro verdict_sql(history_sql, m, as_of_sql, all_monitors=false) -%}
    {#- all_monitors: judge every monitor found in history_sql with this one config (the accuracy benchmark). -#}
    {%- set bucketed = m.time_column is not none -%}
    {%- set days = dango_monitors.window_days(m.lookback_days, m.grain) -%}
    {%- set lookback = "interval '" ~ days ~ " days'" -%}
    {%- set method = m.method -%}
    {%- set test_bucket = dango_monitors.test_bucket_sql(as_of_sql, m.grain) -%}
    {%- set same = 'a.monitor = b.monitor and a.dimension = b.dimension and a.dimension_value = b.dimension_value' -%}
with __h as (
    select monitor, cast(bucket_start as timestamp) as bucket_start, dimension, dimension_value,
        cast(value as double) as value
    from ({{ history_sql }}) as __hs
    where {{ 'true' if all_monitors else 'monitor = ' ~ dango_monitors.sql_string(m.name) }}
      and bucket_start <= {{ test_bucket if bucketed else as_of_sql }}
),
__mon as (
    {%- if all_monitors %}
    select distinct monitor from __h
    {%- else %}
    select {{ dango_monitors.sql_string(m.name) }} as monitor
    {%- endif %}
),
__t as (
    select __mon.monitor, {{ ('cast(' ~ test_bucket ~ ' as timestamp)') if bucketed else 'max(__h.bucket_start)' }} as t
    from __mon left join __h on __h.monitor = __mon.monitor
    group by __mon.monitor
),
__keys as (
    select distinct monitor, dimension, dimension_value from __h
    union
    select monitor, '__total__', '__total__' from __mon
),
{%- if bucketed %}
__first as (
    select __t.monitor, coalesce(min(__h.bucket_start), __t.t) as f
    from __t
    left join __h
        on __h.monitor = __t.monitor and __h.dimension = '__total__' and __h.bucket_start >= __t.t - {{ lookback }}
    group by __t.monitor, __t.t
),
__spine as (
    {{ dango_monitors.bucket_spine('(select min(f) from __first)', '(select max(t) from __t)', m.grain) }}
),
__dense as (
    select k.monitor, s.bucket_start, k.dimension, k.dimension_value, coalesce(h.value, 0) as value
    from __spine as s
    cross join __keys as k
    join __first as fi on fi.monitor = k.monitor and s.bucket_start >= fi.f
    left join __h as h
        on h.monitor = k.monitor and h.bucket_start = s.bucket_start and h.dimension = k.dimension
        and h.dimension_value = k.dimension_value
),
{%- else %}
__dense as (
    select monitor, bucket_start, dimension, dimension_value, coalesce(value, 0) as value from __h
),
{%- endif %}
__cur as (
    select k.monitor, k.dimension, k.dimension_value, coalesce(d.value, 0) as value
    from __keys as k
    join __t on __t.monitor = k.monitor
    left join __dense as d
        on d.monitor = k.monitor and d.dimension = k.dimension and d.dimension_value = k.dimension_value
        and d.bucket_start = __t.t
),
__prior as (
    select d.*, __t.t
    from __dense as d
    join __t on __t.monitor = d.monitor
    where d.bucket_start < __t.t and d.bucket_start >= __t.t - {{ lookback }}
),
__keyed as (
    select p.*, {{ dango_monitors.season_key('p.bucket_start', m.seasonality) }} as season,
        {{ dango_monitors.season_key('p.t', m.seasonality) }} as test_season
    from __prior as p
),
__train as (
    select * from __keyed where season = test_season
),
__stats as (
    select monitor, dimension, dimension_value, count(*) as n_train, {{ dango_monitors.median_sql('value') }} as med,
        avg(value) as mean, stddev_samp(value) as sd
    from __train
    group by monitor, dimension, dimension_value
),
__ranked as (
    select k.*,
        row_number() over (
            partition by k.monitor, k.dimension, k.dimension_value, k.season order by k.value, k.bucket_start
        ) as r,
        count(*) over (partition by k.monitor, k.dimension, k.dimension_value, k.season) as n_season
    from __keyed as k
),
__middle as (
    {#- The order statistics around each season's median: enough to know every bucket's leave-one-out median. -#}
    select monitor, dimension, dimension_value, season,
        max(case when r = (n_season - n_season % 2) / 2 then value end) as x_h,
        max(case when r = (n_season - n_season % 2) / 2 + 1 then value end) as x_h1,
        max(case when r = (n_season - n_season % 2) / 2 + 2 then value end) as x_h2
    from __ranked
    group by monitor, dimension, dimension_value, season
),
__loo as (
    {#- Each bucket against the median of the OTHER buckets of its season: the same comparison the test makes, so
        the spread is not shrunk by a bucket's own pull on the median (with 8 weeks, that pull hid a third of the
        false alarms' true distance). -#}
    select a.monitor, a.dimension, a.dimension_value, a.value, a.n_season,
        case
            when a.n_season % 2 = 0 then
                case when a.r <= a.n_season / 2 then b.x_h1 else b.x_h end
            when a.r <= (a.n_season - 1) / 2 then (b.x_h1 + b.x_h2) / 2
            when a.r = (a.n_season + 1) / 2 then (b.x_h + b.x_h2) / 2
            else (b.x_h + b.x_h1) / 2
        end as loo_med
    from __ranked as a
    join __middle as b on {{ same }} and a.season = b.season
    where a.n_season > 1
),
__mad as (
    {#- The spread is pooled over every season of the window (56 days give 56 deviations rather than 8): each
        bucket's relative deviation from its leave-one-out median, in units of a new point's deviation from a
        median of n_season - 1 (sqrt(1 + pi / 2(n - 1)) wider than one point's own spread). -#}
    select monitor, dimension, dimension_value,
        {{ dango_monitors.median_sql(
            'abs(value - loo_med) / greatest(abs(loo_med), 1e-9) / sqrt(1 + 1.5708 / (n_season - 1))') }} as mad
    from __loo
    group by monitor, dimension, dimension_value
),
__pct as (
    select monitor, dimension, dimension_value, count(*) as n_prior,
    {%- if m.compare == 'prior_period' %}
        max(case when rn_recent = 1 then value end) as pct_base
    {%- elif m.compare == 'week_over_week' %}
        max(case when rn_week = 1 then value end) as pct_base
    {%- elif m.compare == 'rolling_7day_avg' %}
        avg(case when bucket_start >= t - interval '7 days' then value end) as pct_base
    {%- elif m.compare == 'rolling_30day_avg' %}
        avg(case when bucket_start >= t - interval '30 days' then value end) as pct_base
    {%- else %}
        cast(null as double) as pct_base
    {%- endif %}
    from (
        select p.*,
            row_number() over (
                partition by p.monitor, p.dimension, p.dimension_value order by p.bucket_start desc
            ) as rn_recent,
            row_number() over (
                partition by p.monitor, p.dimension, p.dimension_value
                order by abs({{ dango_monitors.seconds_between('p.bucket_start', "(p.t - interval '7 days')") }}), p.bucket_start desc
            ) as rn_week
        from __prior as p
    ) as __ranked
    group by monitor, dimension, dimension_value
),
__joined as (
    select
        a.monitor,
        a.dimension,
        a.dimension_value,
        a.value,
        {%- if method == 'pct_change' %}
        coalesce(p.n_prior, 0) as n_train,
        p.pct_base as baseline,
        cast(null as double) as scale
        {%- else %}
        coalesce(b.n_train, 0) as n_train,
        {{ 'b.med' if method == 'mad' else 'b.mean' }} as baseline,
        greatest(
            {{ '1.4826 * md.mad * abs(b.med)' if method == 'mad' else 'coalesce(b.sd, 0)' }}
                * sqrt(1 + {{ '1.5708' if method == 'mad' else '1.0' }} / greatest(b.n_train, 1)),
            0.02 * abs({{ 'b.med' if method == 'mad' else 'b.mean' }}),
            1e-9
        ) as scale
        {%- endif %}
    from __cur as a
    left join __stats as b on {{ same }}
    left join __mad as md
        on md.monitor = a.monitor and md.dimension = a.dimension and md.dimension_value = a.dimension_value
    left join __pct as p
        on p.monitor = a.monitor and p.dimension = a.dimension and p.dimension_value = a.dimension_value
),
__scored as (
    select
        *,
        case
            when baseline is null then null
            when baseline = 0 then case when value = 0 then 0.0 end
            else (value - baseline) / abs(baseline) * 100
        end as change_pct,
        case
            when baseline is null then null
            {%- if method == 'pct_change' %}
            when baseline = 0 then null
            else (value - baseline) / abs(baseline) * 100 / {{ m.alert_threshold }}
            {%- else %}
            else (value - baseline) / scale
            {%- endif %}
        end as score,
        {%- if m.direction == 'up' %}
        coalesce(value > baseline, false) as direction_ok
        {%- elif m.direction == 'down' %}
        coalesce(value < baseline, false) as direction_ok
        {%- else %}
        coalesce(value <> baseline, false) as direction_ok
        {%- endif %}
    from __joined
),
__series as (
    select
        *,
        case
            {%- if method == 'pct_change' and m.compare == 'none' %}
            when true then 'normal'
            {%- endif %}
            when n_train < {{ m.min_history }} or baseline is null then 'insufficient_history'
            when not direction_ok then 'normal'
            {%- if method == 'pct_change' %}
            when baseline = 0 or abs(change_pct) >= {{ m.alert_threshold }} then 'flagged'
            {%- else %}
            {#- Segments are many tests at once: they need sensitivity + 1 (about a Bonferroni step for a few). -#}
            when abs(score) >= case when dimension = '__total__' then {{ m.sensitivity }} else {{ m.sensitivity + 1 }} end
                and (baseline = 0 or abs(change_pct) >= {{ m.min_change_pct }}) then 'flagged'
            {%- endif %}
            else 'normal'
        end as series_status
    from __scored
),
__total as (
    select monitor, value as total_value, baseline as total_baseline, series_status as total_status
    from __series
    where dimension = '__total__'
),
__segment_flags as (
    select tt.monitor, count(s.monitor) as n_flagged_segments
    from __total as tt
    left join __series as s
        on s.monitor = tt.monitor
        and s.dimension <> '__total__'
        and s.series_status = 'flagged'
        and {{ 'true' if m.segment_alerts else 'false' }}
        and greatest(
            coalesce(abs(s.baseline) / nullif(abs(tt.total_baseline), 0), 0),
            coalesce(abs(s.value) / nullif(abs(tt.total_value), 0), 0)
        ) * 100 >= {{ m.min_segment_share }}
    group by tt.monitor
)
select
    s.monitor,
    __t.t as bucket_start,
    s.dimension,
    s.dimension_value,
    s.value,
    s.baseline,
    s.change_pct,
    s.score,
    s.scale,
    s.n_train,
    s.series_status,
    case
        when tt.total_status = 'insufficient_history' then 'insufficient_history'
        when tt.total_status = 'flagged' or sf.n_flagged_segments > 0 then 'flagged'
        else 'normal'
    end as monitor_status,
    {{ dango_monitors.sql_string(method) }} as method
from __series as s
join __t on __t.monitor = s.monitor
join __total as tt on tt.monitor = s.monitor
join __segment_flags as sf on sf.monitor = s.monitor
{%- endmacro %}
