-- vw_run_summary: the failed run of 2026-11-20 has one row with the right counts and verdict (no rows = pass).
with expected as (
    select 1 as n
),
actual as (
    select * from {{ ref('vw_run_summary') }} where run_id = 'scheduled__2026-11-20T06:00:00+00:00'
)
select 'row count' as problem from expected where (select count(*) from actual) <> 1
union all
select 'counts or verdict' from actual
where not (
    status = 'failed' and rows_loaded = 100 and tasks_total = 4 and tasks_failed = 1 and tasks_not_run = 1
    and models_built = 1 and tests_passed = 1 and tests_failed = 1 and tests_warned = 1 and critical_problems = 1
    and drift_findings = 0 and pii_findings = 1 and monitor_findings = 1 and freshness_findings = 0
    and verdict = 'CRITICAL: look now' and run_url like 'http://airflow.example/dags/dango_shop_daily/runs/%'
)
union all
select 'healthy run verdict' from {{ ref('vw_run_summary') }}
where run_id = 'scheduled__2026-11-19T06:00:00+00:00' and verdict <> 'ok with findings: review'
