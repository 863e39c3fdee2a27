-- vw_check_history_9d: a three-day monitor problem is a trend, a single PII flag a one-off, a passing test clean.
select check_name, pattern, timeline_9d from {{ ref('vw_check_history_9d') }}
where (check_name = 'monitor:revenue_eur' and not (pattern = 'trend' and timeline_9d = '-----.wwF'
                                                   and fails_9d = 1 and flags_9d = 2 and passes_9d = 1))
   or (check_name = 'pii' and not (pattern = 'one-off' and timeline_9d = '-------.w' and last_outcome = 'flag'))
   or (check_name = 'not_null_fct_orders_order_id' and not (pattern = 'clean' and runs_9d = 2))
   or (check_name = 'accepted_values_fct_orders_currency__EUR' and not (pattern = 'one-off' and fails_9d = 1))
   or (check_name = 'currency_is_usd_warn' and not (pattern = 'recurring' and flags_9d = 2))
