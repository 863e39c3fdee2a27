-- Columns change with var('drift_variant'): v1 (baseline), v2 (breaking: narrowed, removed), v3 (additive: widened, added).
{%- set variant = var('drift_variant', 'v1') %}
select
{%- if variant == 'v2' %}
    cast(1 as integer) as id,
    cast(9.5 as decimal(8, 2)) as amount
{%- elif variant == 'v3' %}
    cast(1 as bigint) as id,
    cast(9.5 as decimal(12, 2)) as amount,
    cast('a' as varchar) as note,
    cast('x' as varchar) as extra
{%- else %}
    cast(1 as integer) as id,
    cast(9.5 as decimal(10, 2)) as amount,
    cast('a' as varchar) as note
{%- endif %}
