{{ config(materialized='table') }}
-- 30,000 rows in insertion order; only the newer half has an email. A sample that reads the first N rows in storage
-- order sees no email at all; a true random sample sees about half.
select
    g as id,
    case when g > 15000 then 'user' || cast(g as varchar) || '@example.com' end as email
from generate_series(1, 30000) as numbers(g)
