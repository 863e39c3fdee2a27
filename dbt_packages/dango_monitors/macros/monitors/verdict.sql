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
    {%- set dbl = dango_monitors.type_double() -%}
    {%- set is_count = m.metric_kind == 'count' -%}
with __h as (
    select monitor, cast(bucket_start as timestamp) as bucket_start, dimension, dimension_value,
        cast(value as {{ dbl }}) as value
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
__latest as (
    select monitor, max(bucket_start) as latest from __h where dimension = '__total__' group by monitor
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
    select k.monitor, s.bucket_start, k.dimension, k.dimension_value,
        case when h.monitor is null then 0 else h.value end as value
    from __spine as s
    cross join __keys as k
    join __first as fi on fi.monitor = k.monitor and s.bucket_start >= fi.f
    left join __h as h
        on h.monitor = k.monitor and h.bucket_start = s.bucket_start and h.dimension = k.dimension
        and h.dimension_value = k.dimension_value
),
{%- else %}
__dense as (
    select monitor, bucket_start, dimension, dimension_value, value from __h
),
{%- endif %}
__cur as (
    select k.monitor, k.dimension, k.dimension_value,
        case when d.monitor is null then 0 else d.value end as value
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
        {#- A past bucket whose value is NULL, NaN or infinite is no evidence: it is left out of the baseline. #}
        and d.value is not null and {{ dango_monitors.is_finite('d.value') }}
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
        cast(null as {{ dbl }}) as pct_base
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
        a.value is not null and {{ dango_monitors.is_finite('a.value') }} as finite,
        {%- if method == 'pct_change' %}
        coalesce(p.n_prior, 0) as n_train,
        p.pct_base as baseline,
        cast(null as {{ dbl }}) as scale
        {%- else %}
        coalesce(b.n_train, 0) as n_train,
        {{ 'b.med' if method == 'mad' else 'b.mean' }} as baseline,
        greatest(
            {{ '1.4826 * md.mad * abs(b.med)' if method == 'mad' else 'coalesce(b.sd, 0)' }}
                * sqrt(1 + {{ '1.5708' if method == 'mad' else '1.0' }} / greatest(b.n_train, 1)),
            0.02 * abs({{ 'b.med' if method == 'mad' else 'b.mean' }}),
            1e-9
        ) as scale,
        {#- A single point's spread (without the baseline's own uncertainty), for the count test's dispersion. -#}
        {{ '1.4826 * md.mad * abs(b.med)' if method == 'mad' else 'coalesce(b.sd, 0)' }} as point_sd
        {%- endif %}
    from __cur as a
    left join __stats as b on {{ same }}
    left join __mad as md
        on md.monitor = a.monitor and md.dimension = a.dimension and md.dimension_value = a.dimension_value
    left join __pct as p
        on p.monitor = a.monitor and p.dimension = a.dimension and p.dimension_value = a.dimension_value
),
{%- if is_count and method != 'pct_change' %}
__disp as (
    {#- Count test: the value against a Poisson with the baseline as its mean, widened for over-dispersion
        (phi = the history's variance / mean, at least 1: a negative-binomial-like quasi-Poisson) and for the
        baseline's own uncertainty. Counts are scaled by 1 / phi and the tail probability comes from the Poisson-
        chi-square identity with the Wilson-Hilferty normal approximation, as a z score (a Poisson tail of 1e-5 is
        about 4.3). Small counts are then judged by how likely they are, not by a spread that may be ~0. -#}
    select *,
        greatest(1.0, coalesce(point_sd * point_sd / nullif(abs(baseline), 0), 1.0))
            * (1 + 1.5708 / greatest(n_train, 1)) as phi
    from __joined
),
__counted as (
    select *,
        case
            when baseline is null or not finite or value < 0 or baseline < 0 then null
            when value = baseline then 0.0
            else -1 * (
                cbrt((baseline / phi) / (case when value > baseline then value / phi else value / phi + 1 end))
                - (1 - 2.0 / (9 * 2 * (case when value > baseline then value / phi else value / phi + 1 end)))
            ) / sqrt(2.0 / (9 * 2 * (case when value > baseline then value / phi else value / phi + 1 end)))
        end as count_score
    from __disp
),
{%- else %}
__counted as (
    select *, cast(null as {{ dbl }}) as count_score from __joined
),
{%- endif %}
__tot as (
    select monitor, value as tv, baseline as tb from __counted where dimension = '__total__'
),
__scored as (
    select
        c.*,
        case
            when c.baseline is null or not c.finite then null
            when c.baseline = 0 then case when c.value = 0 then 0.0 end
            else (c.value - c.baseline) / abs(c.baseline) * 100
        end as change_pct,
        {#- The MAD / z-score, never against a zero baseline (a division by ~0 is not a score). -#}
        case
            when c.baseline is null or not c.finite then null
            {%- if method == 'pct_change' %}
            when c.baseline = 0 then null
            else (c.value - c.baseline) / abs(c.baseline) * 100 / {{ m.alert_threshold }}
            {%- else %}
            when c.baseline = 0 then case when c.value = 0 then 0.0 end
            else (c.value - c.baseline) / c.scale
            {%- endif %}
        end as spread_score,
        c.dimension <> '__total__' and c.finite and coalesce(c.baseline, 0) = 0 and c.value <> 0 as is_new,
        c.dimension <> '__total__' and c.finite and c.value = 0 and coalesce(c.baseline, 0) <> 0 as is_gone,
        100 * case
            when c.dimension = '__total__' then 1.0
            when coalesce(c.baseline, 0) = 0 then abs(c.value) / nullif(abs(tt.tv), 0)
            when c.value = 0 then abs(c.baseline) / nullif(abs(tt.tb), 0)
            else greatest(coalesce(abs(c.baseline) / nullif(abs(tt.tb), 0), 0),
                          coalesce(abs(c.value) / nullif(abs(tt.tv), 0), 0))
        end as share_pct,
        {%- if m.direction == 'up' %}
        coalesce(c.value > c.baseline, c.value > 0, false) as direction_ok
        {%- elif m.direction == 'down' %}
        coalesce(c.value < c.baseline, false) as direction_ok
        {%- else %}
        coalesce(c.value <> c.baseline, c.value <> 0, false) as direction_ok
        {%- endif %}
    from __counted as c
    join __tot as tt on tt.monitor = c.monitor
),
__rated as (
    select *,
        {{ 'coalesce(count_score, spread_score)' if is_count and method != 'pct_change' else 'spread_score' }} as score,
        case when dimension = '__total__' then {{ m.sensitivity }} else {{ m.sensitivity + 1 }} end as threshold
    from __scored
),
__series as (
    select
        *,
        case
            when not finite and value is not null then 'error'
            {%- if method == 'pct_change' and m.compare == 'none' %}
            when true then 'normal'
            {%- endif %}
            when value is null then 'insufficient_history'
            {#- A segment that appears (nothing in the baseline) or vanishes (0 now) is judged by its share of the
                total: new_segment_share % of the current total (new) or of the baseline total (vanished). A
                vanished one must also be unlikely: a count test (or, for values, the spread score) beyond the
                total's sensitivity; the share gate leaves few enough segments for that bar. -#}
            when is_new and direction_ok then
                case when share_pct >= {{ m.new_segment_share }}
                    {%- if is_count and method != 'pct_change' %} and abs(count_score) >= {{ m.sensitivity }}{% endif %}
                    then 'flagged' else 'normal' end
            when is_gone and n_train >= {{ m.min_history }} and direction_ok then
                case when share_pct >= {{ m.new_segment_share }}
                    and {{ 'true' if method == 'pct_change' else 'abs(score) >= ' ~ m.sensitivity }}
                    then 'flagged' else 'normal' end
            when n_train < {{ m.min_history }} or baseline is null then 'insufficient_history'
            when not direction_ok then 'normal'
            {%- if method == 'pct_change' %}
            when baseline = 0 or abs(change_pct) >= {{ m.alert_threshold }} then 'flagged'
            {%- else %}
            {#- Segments are many tests at once: they need sensitivity + 1 (about a Bonferroni step for a few).
                Counts must pass the count test AND the spread score (the second opinion). -#}
            when abs(score) >= threshold
                {%- if is_count %} and abs(coalesce(spread_score, score)) >= threshold{% endif %}
                and (baseline = 0 or abs(change_pct) >= {{ m.min_change_pct }}) then 'flagged'
            {%- endif %}
            else 'normal'
        end as series_status
    from __rated
),
__described as (
    select *,
        case when dimension = '__total__' then 'total' else 'segment ' || dimension || '=' || dimension_value end
            as label,
        {{ dango_monitors.number_text('value', 2) }} as value_text,
        {{ dango_monitors.number_text('baseline', 2) }} as baseline_text,
        coalesce({{ dango_monitors.number_text('change_pct', 1) }} || ' %', 'n/a') as change_text,
        coalesce({{ dango_monitors.number_text('score', 2) }}, 'n/a') as score_text,
        {{ dango_monitors.number_text('share_pct', 1) }} as share_text
    from __series
),
__segment_flags as (
    select tt.monitor, count(s.monitor) as n_flagged_segments,
        {{ dango_monitors.string_agg_sql("s.label || ' (' || case when s.is_new then 'new, ' || s.share_text || ' % of the total'"
            ~ " when s.is_gone then 'vanished, was ' || s.share_text || ' % of the total' else s.change_text end"
            ~ " || ', score ' || s.score_text || ')'", "', '", 'abs(coalesce(s.score, 0)) desc, s.label') }} as flagged_by
    from __series as tt
    left join __described as s
        on s.monitor = tt.monitor
        and s.dimension <> '__total__'
        and s.series_status = 'flagged'
        and {{ 'true' if m.segment_alerts else 'false' }}
        and (s.is_new or s.is_gone or s.share_pct >= {{ m.min_segment_share }})
    where tt.dimension = '__total__'
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
        when tt.series_status = 'error' then 'error'
        when tt.series_status = 'insufficient_history' then 'insufficient_history'
        when tt.series_status = 'flagged' or sf.n_flagged_segments > 0 then 'flagged'
        else 'normal'
    end as monitor_status,
    {{ dango_monitors.sql_string(method if not is_count or method == 'pct_change' else method ~ '+count') }} as method,
    case
        when s.series_status = 'error' then
            s.label || ': the value is ' || s.value_text || ' (NaN or infinite) in the bucket under test'
        when s.value is null then
            s.label || ': the value is NULL in the bucket under test (rows, but no non-NULL values)'
        when s.series_status = 'insufficient_history' then
            s.label || ': insufficient history, ' || cast(s.n_train as varchar) || ' of {{ m.min_history }} baseline buckets'
            || {{ dango_monitors.sql_string(dango_monitors.season_words(m.seasonality)) }}
            || {{ dango_monitors.sql_string(' in the ' ~ days ~ '-day window' if bucketed else ' recorded') }}
            || coalesce('; latest bucket with data ' || cast(lt.latest as varchar), '; no data in the window')
        when s.is_new and s.series_status = 'flagged' then
            s.label || ': new, ' || s.value_text || ' (' || s.share_text || ' % of the total) where the baseline is 0'
            || coalesce(', count score ' || s.score_text, '')
        when s.is_gone and s.series_status = 'flagged' then
            s.label || ': vanished, 0 vs baseline ' || s.baseline_text || ' (' || s.share_text
            || ' % of the baseline total), score ' || s.score_text
        when s.series_status = 'flagged' then
            s.label || ': ' || s.value_text || ' vs baseline ' || s.baseline_text || ' (' || s.change_text
            || '), score ' || s.score_text || ' (threshold ' || {{ dango_monitors.number_text('s.threshold', 1) }} || ')'
        when s.dimension = '__total__' and sf.n_flagged_segments > 0 then
            'total ' || s.value_text || ' vs baseline ' || coalesce(s.baseline_text, 'n/a') || ' (' || s.change_text
            || '): flagged by ' || sf.flagged_by
        else
            s.label || ': ' || coalesce(s.value_text, 'NULL') || ' vs baseline ' || coalesce(s.baseline_text, 'n/a')
            || ' (' || s.change_text || '), within the baseline'
    end as reason,
    case when s.dimension = '__total__' then sf.flagged_by end as flagged_by
from __described as s
join __t on __t.monitor = s.monitor
join __series as tt on tt.monitor = s.monitor and tt.dimension = '__total__'
join __segment_flags as sf on sf.monitor = s.monitor
left join __latest as lt on lt.monitor = s.monitor
{%- endmacro %}
