select
    order_date,
    currency,
    count(*) as orders,
    sum(amount) as revenue
from {{ ref('fct_orders') }}
where status = 'completed'
group by order_date, currency
