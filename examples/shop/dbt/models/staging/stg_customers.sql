select
    id as customer_id,
    first_name,
    last_name,
    email,
    phone,
    country,
    created_at
from {{ source('shop', 'customers') }}
