{#- Opt-in (var dango_audit_views), in the schema named by dango_schema (dbt's naming: <target>_<dango_schema>). -#}
{{ config(materialized='view', tags=['dango_audit'], enabled=var('dango_audit_views', false) | as_bool,
          schema=var('dango_schema', 'dango')) }}
{#- Everything that failed in the last 7 days, newest first: failed tasks (last try), failed dbt nodes and failed
    dango checks, each with its error text and a link to the Airflow run. -#}

{% set since = dbt.dateadd('day', -7, dango_monitors.audit_now()) %}

with runs as (
    select dag_id, run_id, schedule, run_url
    from {{ dango_monitors.audit_relation('dango_audit_dag_runs') }} as r
),

task_tries as (
    select
        t.*,
        row_number() over (partition by dag_id, run_id, task_id, map_index order by try_number desc) as try_rank
    from {{ dango_monitors.audit_relation('dango_audit_task_runs') }} as t
),

failed_tasks as (
    select
        coalesce(ended_at, recorded_at) as failed_at,
        dag_id,
        run_id,
        'task' as failure_kind,
        task_id as failed_item,
        'error' as severity,
        error_summary as error_text,
        try_number as tries
    from task_tries
    where try_rank = 1 and state = 'failed'
),

dbt_tries as (
    select
        d.*,
        row_number() over (partition by dag_id, run_id, unique_id order by try_number desc, recorded_at desc) as try_rank
    from {{ dango_monitors.audit_relation('dango_audit_dbt_results') }} as d
),

failed_nodes as (
    select
        recorded_at as failed_at,
        dag_id,
        run_id,
        {{ dbt.concat(["'dbt '", "resource_type"]) }} as failure_kind,
        node_name as failed_item,
        severity,
        message as error_text,
        try_number as tries
    from dbt_tries
    where try_rank = 1 and status in ('fail', 'error', 'runtime error')
),

failed_checks as (
    select
        recorded_at as failed_at,
        dag_id,
        run_id,
        {{ dbt.concat(["'check '", "check_name"]) }} as failure_kind,
        target as failed_item,
        severity,
        details as error_text,
        1 as tries
    from {{ dango_monitors.audit_relation('dango_audit_check_results') }} as c
    where status in ('fail', 'error')
),

failures as (
    select * from failed_tasks
    union all
    select * from failed_nodes
    union all
    select * from failed_checks
)

select
    failures.failed_at,
    failures.severity,
    failures.failure_kind,
    failures.failed_item,
    failures.error_text,
    runs.schedule,
    coalesce(failures.dag_id, runs.dag_id) as dag_id,
    failures.run_id,
    failures.tries,
    runs.run_url
from failures
left join runs
    on runs.run_id = failures.run_id
    and (failures.dag_id is null or runs.dag_id = failures.dag_id)
where failures.failed_at >= {{ since }}
