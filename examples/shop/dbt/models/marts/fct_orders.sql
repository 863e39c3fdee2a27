select
    o.order_id,
    o.customer_id,
    c.country,
    o.amount,
    o.currency,
    o.status,
    o.created_at,
    o.order_date
from {{ ref('stg_orders') }} as o
join {{ ref('stg_customers') }} as c using (customer_id)
where o.status in ('completed', 'refunded')
