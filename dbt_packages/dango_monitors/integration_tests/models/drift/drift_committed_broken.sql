-- Against the committed baseline: id narrowed from BIGINT, note removed (both breaking), amount unchanged.
select cast(1 as integer) as id, cast(9.5 as decimal(10, 2)) as amount
