{#- Opt-in (var dango_audit_views), in the schema named by dango_schema (dbt's naming: <target>_<dango_schema>). -#}
{{ config(materialized='view', tags=['dango_audit'], enabled=var('dango_audit_views', false) | as_bool,
          schema=var('dango_schema', 'dango')) }}
{#- Per check and target, the last nine days (today and the eight before): how often it passed, failed or flagged,
    on how many days it had a problem, and a one-line timeline, so a one-off is told from a trend.
    Checks are dbt tests (last try per run) and dango checks (drift, PII, monitors, freshness). -#}

{% set today = "cast(" ~ dango_monitors.audit_now() ~ " as date)" %}

with dbt_tries as (
    select
        d.*,
        row_number() over (partition by dag_id, run_id, unique_id order by try_number desc, recorded_at desc) as try_rank
    from {{ dango_monitors.audit_relation('dango_audit_dbt_results') }} as d
    where resource_type = 'test'
),

results as (
    select
        'dbt' as check_type,
        node_name as check_name,
        attached_to as target,
        case when status = 'pass' then 'pass' when status = 'warn' then 'flag' else 'fail' end as outcome,
        severity,
        recorded_at
    from dbt_tries
    where try_rank = 1 and status not in ('skipped', 'skip')
    union all
    select
        check_type,
        check_name,
        target,
        case
            when status = 'pass' then 'pass'
            when status in ('flag', 'warn') then 'flag'
            when status = 'skipped' then 'skipped'
            else 'fail'
        end as outcome,
        severity,
        recorded_at
    from {{ dango_monitors.audit_relation('dango_audit_check_results') }} as c
),

windowed as (
    select
        results.*,
        {{ dbt.datediff("cast(recorded_at as date)", today, 'day') }} as days_ago
    from results
    where outcome <> 'skipped'
),

recent as (
    select * from windowed where days_ago between 0 and 8
),

per_day as (
    select
        check_type, check_name, target, days_ago,
        max(case when outcome = 'fail' then 2 when outcome = 'flag' then 1 else 0 end) as worst
    from recent
    group by check_type, check_name, target, days_ago
),

last_result as (
    select
        check_type, check_name, target, outcome, severity, recorded_at,
        row_number() over (partition by check_type, check_name, target order by recorded_at desc) as rn
    from recent
),

totals as (
    select
        check_type,
        check_name,
        target,
        count(*) as runs_9d,
        sum(case when outcome = 'pass' then 1 else 0 end) as passes_9d,
        sum(case when outcome = 'fail' then 1 else 0 end) as fails_9d,
        sum(case when outcome = 'flag' then 1 else 0 end) as flags_9d
    from recent
    group by check_type, check_name, target
),

days as (
    select
        check_type,
        check_name,
        target,
        sum(case when worst > 0 then 1 else 0 end) as problem_days_9d,
        {%- set marks = [] %}
        {%- for ago in range(8, -1, -1) %}
            {%- do marks.append(
                "coalesce(max(case when days_ago = " ~ ago ~ " then case worst when 2 then 'F' when 1 then 'w' else '.' end end), '-')"
            ) %}
        {%- endfor %}
        {{ dbt.concat(marks) }} as timeline_9d
    from per_day
    group by check_type, check_name, target
)

select
    totals.check_type,
    totals.check_name,
    totals.target,
    case
        when days.problem_days_9d = 0 then 'clean'
        when days.problem_days_9d = 1 then 'one-off'
        when days.problem_days_9d = 2 then 'recurring'
        else 'trend'
    end as pattern,
    last_result.outcome as last_outcome,
    last_result.severity as last_severity,
    last_result.recorded_at as last_checked_at,
    days.timeline_9d,
    days.problem_days_9d,
    totals.runs_9d,
    totals.passes_9d,
    totals.fails_9d,
    totals.flags_9d
from totals
join days
    on days.check_type = totals.check_type and days.check_name = totals.check_name
    and coalesce(days.target, '') = coalesce(totals.target, '')
join last_result
    on last_result.check_type = totals.check_type and last_result.check_name = totals.check_name
    and coalesce(last_result.target, '') = coalesce(totals.target, '') and last_result.rn = 1
