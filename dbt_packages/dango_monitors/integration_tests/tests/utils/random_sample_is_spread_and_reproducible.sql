-- dango_monitors.random_sample_sql returns exactly the rows asked for, spread over the whole table (about half have
-- an email, which only the newer half holds), and the same rows again for the same seed; with a known row count
-- (PostgreSQL: tablesample bernoulli) and without one (PostgreSQL: hashing every row; DuckDB: reservoir).
{%- set rel = ref('sample_spread') %}
with by_count as (
    {{ dango_monitors.random_sample_sql(rel, 'id, email', 2000, 42, 30000) }}
),
by_count_again as (
    {{ dango_monitors.random_sample_sql(rel, 'id, email', 2000, 42, 30000) }}
),
unsized as (
    {{ dango_monitors.random_sample_sql(rel, 'id, email', 2000, 42) }}
),
unsized_again as (
    {{ dango_monitors.random_sample_sql(rel, 'id, email', 2000, 42) }}
),
other_seed as (
    {{ dango_monitors.random_sample_sql(rel, 'id, email', 2000, 7, 30000) }}
),
shares as (
    select 'row count known' as sample, count(*) as n, avg(case when email is not null then 1.0 else 0.0 end) as share
    from by_count
    union all
    select 'row count unknown', count(*), avg(case when email is not null then 1.0 else 0.0 end) from unsized
)
select sample as problem, n, share from shares where n <> 2000 or share < 0.45 or share > 0.55
union all
select 'not reproducible (row count known)', count(*), null
from (select id from by_count except select id from by_count_again) as d having count(*) > 0
union all
select 'not reproducible (row count unknown)', count(*), null
from (select id from unsized except select id from unsized_again) as d having count(*) > 0
union all
select 'the seed changes nothing', count(*), null
from (select id from by_count except select id from other_seed) as d having count(*) = 0
