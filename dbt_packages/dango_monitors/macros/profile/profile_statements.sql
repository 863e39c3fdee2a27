{#- The SQL that profiles tables: per table a single scan computing every column's statistics at once (a
    materialised one-row CTE, unpivoted into one profile row per column); the tables of a batch go into one INSERT
    (one statement for many small tables: per-statement costs dominate on them), plus, where the warehouse has no
    top-k aggregate, one grouping-sets scan per table for top values.

    columns: list of [column_name, data_type]; masked: column names whose values must not leave the warehouse
    (PII findings, `pii` overrides, `meta: {pii: true}`): no top values, no min / max / quantiles for them. -#}

{#- Statements for one table (the batch of one). -#}
{% macro profile_table_statements(run_id, schema, table, columns, masked=[], top_n=5) -%}
    {{ return(dango_monitors.profile_tables_statements(run_id, [[schema, table, columns, masked]], top_n)) }}
{%- endmacro %}

{#- tables: list of [schema, table, columns, masked]. Per batch of `batch_size` tables: one delete of this run's rows
    for them (a retried run replaces its rows), one INSERT scanning each table once, then any top-values passes. -#}
{% macro profile_tables_statements(run_id, tables, top_n=5, batch_size=25) -%}
    {%- set s = dango_monitors.pii_sql_string -%}
    {%- set profiles = dango_monitors.profile_relation() -%}
    {%- set out = [] -%}
    {%- for batch in tables | batch(batch_size) -%}
        {%- set ctes = [] -%}
        {%- set rows = [] -%}
        {%- set labels = [] -%}
        {%- set extras = [] -%}
        {%- for schema, table, columns, masked in batch -%}
            {%- set part = dango_monitors.profile_table_parts(run_id, schema, table, columns, masked, top_n, 'w' ~ loop.index) -%}
            {%- do ctes.append(part.cte) -%}
            {%- do rows.extend(part.rows) -%}
            {%- do labels.append(s(schema ~ '.' ~ table)) -%}
            {%- do extras.extend(part.extras) -%}
        {%- endfor -%}
        {%- set scan -%}
insert into {{ profiles }} (run_id, profiled_at, table_name, column_name, ordinal, data_type, kind, row_count,
    null_count, null_share, distinct_count, distinct_approx, min_value, max_value, mean_value, p25, p50, p75,
    min_length, max_length, mean_length, top_values, masked)
with {{ ctes | join(',\n') }}
{{ rows | join('\nunion all\n') }}
        {%- endset -%}
        {%- do out.append('delete from ' ~ profiles ~ ' where run_id = ' ~ s(run_id) ~ ' and table_name in (' ~ labels | join(', ') ~ ')') -%}
        {%- do out.append(scan) -%}
        {%- do out.extend(extras) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- One table's part of a batch: its materialised one-row CTE named `w`, its profile rows (selects from `w`), and the
    statements that fill top values afterwards where the scan could not. -#}
{% macro profile_table_parts(run_id, schema, table, columns, masked, top_n, w) -%}
    {%- set q = dango_monitors.quote_ident -%}
    {%- set s = dango_monitors.pii_sql_string -%}
    {%- set relation = q(schema) ~ '.' ~ q(table) -%}
    {%- set label = schema ~ '.' ~ table -%}
    {%- set profiles = dango_monitors.profile_relation() -%}
    {%- set approx = 'true' if dango_monitors.profile_distinct_is_approx() else 'false' -%}
    {%- set aggs = ['count(*) as n'] -%}
    {%- set rows = [] -%}
    {%- set top_pass = [] -%}
    {%- for name, data_type in columns -%}
        {%- set i = loop.index -%}
        {%- set c = q(name) -%}
        {%- set kind = dango_monitors.profile_kind(data_type) -%}
        {%- set hidden = name in masked -%}
        {%- do aggs.append('count(*) - count(' ~ c ~ ') as c' ~ i ~ '_nulls') -%}
        {%- if kind != 'other' -%}
            {%- do aggs.append('least(' ~ dango_monitors.profile_approx_distinct(c) ~ ', count(' ~ c ~ ')) as c' ~ i ~ '_distinct') -%}
        {%- else -%}
            {%- do aggs.append('cast(null as bigint) as c' ~ i ~ '_distinct') -%}
        {%- endif -%}
        {%- if kind in ('number', 'date') and not hidden -%}
            {%- do aggs.append('cast(min(' ~ c ~ ') as varchar) as c' ~ i ~ '_min') -%}
            {%- do aggs.append('cast(max(' ~ c ~ ') as varchar) as c' ~ i ~ '_max') -%}
            {%- do aggs.append('cast(' ~ dango_monitors.profile_mean(c, kind) ~ ' as varchar) as c' ~ i ~ '_mean') -%}
            {%- for p, qv in [('p25', 0.25), ('p50', 0.5), ('p75', 0.75)] -%}
                {%- do aggs.append(dango_monitors.profile_quantile(c, qv, kind) ~ ' as c' ~ i ~ '_' ~ p) -%}
            {%- endfor -%}
        {%- else -%}
            {%- for p in ['min', 'max', 'mean', 'p25', 'p50', 'p75'] -%}
                {%- do aggs.append('cast(null as varchar) as c' ~ i ~ '_' ~ p) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if kind == 'string' -%}
            {%- do aggs.append('min(length(' ~ c ~ ')) as c' ~ i ~ '_minlen') -%}
            {%- do aggs.append('max(length(' ~ c ~ ')) as c' ~ i ~ '_maxlen') -%}
            {%- do aggs.append('avg(cast(length(' ~ c ~ ') as double precision)) as c' ~ i ~ '_meanlen') -%}
        {%- else -%}
            {%- do aggs.append('cast(null as bigint) as c' ~ i ~ '_minlen') -%}
            {%- do aggs.append('cast(null as bigint) as c' ~ i ~ '_maxlen') -%}
            {%- do aggs.append('cast(null as double precision) as c' ~ i ~ '_meanlen') -%}
        {%- endif -%}
        {%- if kind != 'other' and not hidden -%}
            {%- do aggs.append(dango_monitors.profile_top_values_expr(c, top_n) ~ ' as c' ~ i ~ '_top') -%}
            {%- do top_pass.append((i, c)) -%}
        {%- else -%}
            {%- do aggs.append('cast(null as varchar) as c' ~ i ~ '_top') -%}
        {%- endif -%}
        {%- set p = w ~ '.c' ~ i ~ '_' -%}
        {%- do rows.append('select ' ~ s(run_id) ~ ', current_timestamp, ' ~ s(label) ~ ', ' ~ s(name) ~ ', ' ~ i ~ ', '
            ~ s(data_type) ~ ', ' ~ s(kind) ~ ', ' ~ w ~ '.n, ' ~ p ~ 'nulls, case when ' ~ w ~ '.n > 0 then cast(' ~ p ~ 'nulls as double precision) / ' ~ w ~ '.n end, '
            ~ p ~ 'distinct, ' ~ (approx if kind != 'other' else 'false') ~ ', ' ~ p ~ 'min, ' ~ p ~ 'max, ' ~ p ~ 'mean, '
            ~ p ~ 'p25, ' ~ p ~ 'p50, ' ~ p ~ 'p75, ' ~ p ~ 'minlen, ' ~ p ~ 'maxlen, ' ~ p ~ 'meanlen, ' ~ p ~ 'top, '
            ~ ('true' if hidden else 'false') ~ ' from ' ~ w) -%}
    {%- endfor -%}
    {%- set cte = w ~ ' as materialized (\n    select ' ~ aggs | join(',\n        ') ~ '\n    from ' ~ relation ~ '\n)' -%}
    {%- set extras = dango_monitors.profile_top_values_pass(profiles, relation, s(run_id), s(label), top_pass, top_n) -%}
    {{ return({'cte': cte, 'rows': rows, 'extras': extras}) }}
{%- endmacro %}
