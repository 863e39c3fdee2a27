-- Matches the committed baseline (seeds/drift/dango_drift_baseline.csv) in either warehouse's type spelling.
select cast(1 as integer) as id, cast('a' as varchar) as note
