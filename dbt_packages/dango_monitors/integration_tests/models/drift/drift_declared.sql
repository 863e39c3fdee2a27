-- Compared with the columns declared in YAML (compare_to: declared), not with a stored baseline.
select
    cast(1 as integer) as id,
    cast(9.5 as decimal(10, 2)) as amount,
    cast('a' as varchar) as "with space",
    cast(1 as bigint) as "select"
