-- The cross_db helpers give the same answers on every warehouse (no rows = pass):
-- round_float keeps a double and rounds it; star_except drops exactly the named columns; create_temp_table_sql can
-- run twice in one session (replacing the table) and the table can be read.
{%- if execute %}
    {%- do run_query(dango_monitors.create_temp_table_sql('dango_it_temp', "select 1 as n, 'a' as \"Odd Col\"")) %}
    {%- do run_query(dango_monitors.create_temp_table_sql('dango_it_temp', "select 2 as n, 'b' as \"Odd Col\"")) %}
    {%- set temp_rows = run_query('select n, ' ~ dango_monitors.quote_ident('Odd Col') ~ ' from ' ~ dango_monitors.quote_ident('dango_it_temp')).rows %}
{%- else %}
    {%- set temp_rows = [] %}
{%- endif %}
with source_row as (
    select 1 as keep_me, 2 as drop_me, 3 as {{ dango_monitors.quote_ident('Drop Me Too') }}, 4 as {{ dango_monitors.quote_ident('Keep "Me"') }}
),
starred as (
    select {{ dango_monitors.star_except('s', ['drop_me', 'Drop Me Too'], ['keep_me', 'drop_me', 'Drop Me Too', 'Keep "Me"']) }}
    from source_row as s
),
rounded as (
    select
        {{ dango_monitors.round_float('cast(2.0 / 3.0 as double precision)', 4) }} as r4,
        {{ dango_monitors.round_float('cast(1234.5678 as double precision)', 0) }} as r0
)
select 'round_float' as problem from rounded
where not (r4 between 0.66669999 and 0.66670001 and r0 = 1235)
union all
select 'star_except' from starred where not (keep_me = 1 and {{ dango_monitors.quote_ident('Keep "Me"') }} = 4)
union all
select 'create_temp_table_sql' from source_row
where {{ 'false' if temp_rows | length == 1 and temp_rows[0][0] == 2 and temp_rows[0][1] == 'b' else 'true' }}
