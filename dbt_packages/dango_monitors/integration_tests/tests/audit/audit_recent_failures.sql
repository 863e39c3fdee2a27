-- vw_recent_failures: exactly the task, the critical test and the failed monitor of the last 7 days, once each
-- (last try), with error text and link; the failure of 2026-11-05 is older than 7 days and left out.
with actual as (
    select failure_kind, failed_item, severity, tries, error_text, run_url from {{ ref('vw_recent_failures') }}
),
expected as (
    select 'task' as failure_kind, 'dbt.fct_orders.test' as failed_item, 'error' as severity, 2 as tries
    union all select 'dbt test', 'accepted_values_fct_orders_currency__EUR', 'critical', 2
    union all select 'check monitor:revenue_eur', 'marts.daily_revenue.revenue', 'error', 1
)
select 'missing' as problem, e.failed_item from expected e
left join actual a on a.failure_kind = e.failure_kind and a.failed_item = e.failed_item
    and a.severity = e.severity and a.tries = e.tries
where a.failed_item is null
union all
select 'unexpected', failed_item from actual
where failed_item not in (select failed_item from expected)
union all
select 'no error text or link', failed_item from actual where error_text is null or run_url is null
