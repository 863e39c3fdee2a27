select
    id as order_id,
    customer_id,
    cast(amount as decimal(12, 2)) as amount,
    currency,
    status,
    notes,
    created_at,
    cast(created_at as date) as order_date
from {{ source('shop', 'orders') }}
