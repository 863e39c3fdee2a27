{#-
    random_sample_sql(relation, select_list, sample_rows, seed, row_count=none): a query returning at most
    `sample_rows` rows of `relation`, chosen at random but reproducibly (same data and seed -> same rows), spread
    over the whole table. Never `limit N` alone: that reads the oldest rows in storage order, so data that only
    arrived recently is never seen (a wrong answer by design).
    `row_count`: the table's row count when the caller knows it (it sizes the pre-filter); none for views or when
    unknown.
-#}
{% macro random_sample_sql(relation, select_list, sample_rows, seed, row_count=none) -%}
    {{ return(adapter.dispatch('random_sample_sql', 'dango_monitors')(relation, select_list, sample_rows, seed, row_count)) }}
{%- endmacro %}

{#- An adapter without its own implementation fails loudly rather than sampling the first rows. -#}
{% macro default__random_sample_sql(relation, select_list, sample_rows, seed, row_count=none) -%}
    {{ exceptions.raise_compiler_error("dango_monitors: no reproducible random sample for adapter '" ~ target.type
        ~ "'; implement " ~ target.type ~ "__random_sample_sql") }}
{%- endmacro %}

{% macro duckdb__random_sample_sql(relation, select_list, sample_rows, seed, row_count=none) -%}
    {%- if row_count is not none -%}
        {#- Tables: rows chosen by a hash of their rowid and the seed. A hash filter first keeps about twice the rows
            needed (DuckDB then reads the other columns only for those rows), the lowest hashes make the exact count. -#}
        {%- set keep_one_in = (row_count // (2 * sample_rows)) if row_count > 4 * sample_rows else 1 -%}
        {%- set sql -%}
        select {{ select_list }} from {{ relation }}
        {%- if keep_one_in > 1 %} where hash(rowid, {{ seed }}) % {{ keep_one_in }} = 0{% endif %}
        order by hash(rowid, {{ seed }}) limit {{ sample_rows }}
        {%- endset -%}
    {%- else -%}
        {#- Views have no rowid: reservoir sampling with a fixed seed. -#}
        {%- set sql = 'select ' ~ select_list ~ ' from ' ~ relation ~ ' using sample ' ~ sample_rows
                      ~ ' rows (reservoir, ' ~ seed ~ ')' -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}

{#-
    PostgreSQL: on a table (or materialized view) of known size, `tablesample bernoulli (p) repeatable (seed)` first
    keeps about 1.2 times the rows needed, spread uniformly over every page; the rows with the lowest md5 of their
    physical position and the seed then make the cap, so the cap does not favour the table's start either. The size
    is `row_count` or the planner's estimate (pg_class.reltuples); a table never analysed (-1) is hashed in full,
    slower but still a true sample. Views cannot be table-sampled: their rows are ordered by an md5 of their content.
-#}
{% macro postgres__random_sample_sql(relation, select_list, sample_rows, seed, row_count=none) -%}
    {%- set kind, rows = none, row_count -%}
    {%- if execute -%}
        {%- set found = run_query("select c.relkind::text, c.reltuples::float8 from pg_catalog.pg_class as c where c.oid = to_regclass("
                                  ~ dango_monitors.string_literal(relation | string) ~ ")") -%}
        {%- if found.rows | length == 1 -%}
            {%- set kind = found.rows[0][0] -%}
            {%- if rows is none and found.rows[0][1] is not none and found.rows[0][1] >= 0 -%}
                {%- set rows = found.rows[0][1] | int -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- set salt = dango_monitors.string_literal(':' ~ seed) -%}
    {%- if kind in ('r', 'm', 'p') -%}
        {%- set percent = (120.0 * sample_rows / rows) if rows is not none and rows > 0 else 100.0 -%}
        {%- set sql -%}
        select {{ select_list }} from {{ relation }}
        {%- if percent < 100.0 %} tablesample bernoulli ({{ '%.6f' % percent }}) repeatable ({{ seed }}){% endif %}
        order by md5(ctid::text || {{ salt }}) limit {{ sample_rows }}
        {%- endset -%}
    {%- else -%}
        {%- set sql -%}
        select {{ select_list }} from (select * from {{ relation }}) as dango_sample
        order by md5(cast(dango_sample as text) || {{ salt }}) limit {{ sample_rows }}
        {%- endset -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}
