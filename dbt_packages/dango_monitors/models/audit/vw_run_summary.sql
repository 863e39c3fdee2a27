{#- Opt-in (var dango_audit_views), in the schema named by dango_schema (dbt's naming: <target>_<dango_schema>). -#}
{{ config(materialized='view', tags=['dango_audit'], enabled=var('dango_audit_views', false) | as_bool,
          schema=var('dango_schema', 'dango')) }}
{#- One row per DAG run, newest first: did it work, what did it load, what did the checks find, where to click. -#}

with runs as (
    select * from {{ dango_monitors.audit_relation('dango_audit_dag_runs') }} as r
),

task_tries as (
    select
        dag_id, run_id, task_id, state,
        row_number() over (partition by dag_id, run_id, task_id, map_index order by try_number desc) as try_rank
    from {{ dango_monitors.audit_relation('dango_audit_task_runs') }} as t
),

tasks as (
    select
        dag_id,
        run_id,
        count(*) as tasks_total,
        sum(case when state = 'failed' then 1 else 0 end) as tasks_failed,
        sum(case when state = 'upstream_failed' then 1 else 0 end) as tasks_not_run
    from task_tries
    where try_rank = 1
    group by dag_id, run_id
),

dbt_tries as (
    select
        d.*,
        row_number() over (partition by dag_id, run_id, unique_id order by try_number desc, recorded_at desc) as try_rank
    from {{ dango_monitors.audit_relation('dango_audit_dbt_results') }} as d
),

dbt as (
    select
        dag_id,
        run_id,
        sum(case when resource_type in ('model', 'seed', 'snapshot') and status = 'success' then 1 else 0 end)
            as models_built,
        sum(case when resource_type in ('model', 'seed', 'snapshot') and status = 'error' then 1 else 0 end)
            as models_failed,
        sum(case when resource_type = 'test' and status = 'pass' then 1 else 0 end) as tests_passed,
        sum(case when resource_type = 'test' and status in ('fail', 'error') then 1 else 0 end) as tests_failed,
        sum(case when resource_type = 'test' and status = 'warn' then 1 else 0 end) as tests_warned,
        sum(case when severity = 'critical' and status in ('fail', 'error') then 1 else 0 end) as critical_failures
    from dbt_tries
    where try_rank = 1
    group by dag_id, run_id
),

checks as (
    select
        run_id,
        sum(case when check_type = 'drift' and {{ dango_monitors.audit_is_problem('status') }} then 1 else 0 end)
            as drift_findings,
        sum(case when check_type = 'pii' and {{ dango_monitors.audit_is_problem('status') }} then 1 else 0 end)
            as pii_findings,
        sum(case when check_type = 'monitor' and {{ dango_monitors.audit_is_problem('status') }} then 1 else 0 end)
            as monitor_findings,
        sum(case when check_type = 'freshness' and {{ dango_monitors.audit_is_problem('status') }} then 1 else 0 end)
            as freshness_findings,
        sum(case when severity = 'critical' and {{ dango_monitors.audit_is_problem('status') }} then 1 else 0 end)
            as critical_findings
    from {{ dango_monitors.audit_relation('dango_audit_check_results') }} as c
    group by run_id
),

loads as (
    select run_id, sum(rows_loaded) as rows_loaded
    from {{ dango_monitors.audit_relation('load_stats') }} as l
    group by run_id
),

joined as (
    select
        runs.started_at,
        runs.project,
        runs.schedule,
        runs.dag_id,
        runs.state as status,
        runs.sources,
        runs.duration_s,
        coalesce(loads.rows_loaded, 0) as rows_loaded,
        coalesce(tasks.tasks_total, 0) as tasks_total,
        coalesce(tasks.tasks_failed, 0) as tasks_failed,
        coalesce(tasks.tasks_not_run, 0) as tasks_not_run,
        coalesce(dbt.models_built, 0) as models_built,
        coalesce(dbt.models_failed, 0) as models_failed,
        coalesce(dbt.tests_passed, 0) as tests_passed,
        coalesce(dbt.tests_failed, 0) as tests_failed,
        coalesce(dbt.tests_warned, 0) as tests_warned,
        coalesce(dbt.critical_failures, 0) + coalesce(checks.critical_findings, 0) as critical_problems,
        coalesce(checks.drift_findings, 0) as drift_findings,
        coalesce(checks.pii_findings, 0) as pii_findings,
        coalesce(checks.monitor_findings, 0) as monitor_findings,
        coalesce(checks.freshness_findings, 0) as freshness_findings,
        runs.ended_at,
        runs.run_id,
        runs.run_url
    from runs
    left join tasks on tasks.dag_id = runs.dag_id and tasks.run_id = runs.run_id
    left join dbt on dbt.dag_id = runs.dag_id and dbt.run_id = runs.run_id
    left join checks on checks.run_id = runs.run_id
    left join loads on loads.run_id = runs.run_id
)

select
    *,
    case
        when status = 'running' then 'running'
        when critical_problems > 0 then 'CRITICAL: look now'
        when status = 'failed' or tasks_failed > 0 or tests_failed > 0 or models_failed > 0 then 'failed: look today'
        when tests_warned + drift_findings + pii_findings + monitor_findings + freshness_findings > 0
            then 'ok with findings: review'
        else 'ok'
    end as verdict
from joined
