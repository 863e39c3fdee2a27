select
    c.customer_id,
    c.first_name,
    c.last_name,
    c.country,
    count(o.order_id) as orders,
    coalesce(sum(o.amount), 0) as lifetime_revenue
from {{ ref('stg_customers') }} as c
left join {{ ref('fct_orders') }} as o using (customer_id)
group by c.customer_id, c.first_name, c.last_name, c.country
