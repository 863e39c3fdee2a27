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
        {%- set selects = [] -%}
        {%- set labels = [] -%}
        {%- set extras = [] -%}
        {%- for schema, table, columns, masked in batch -%}
            {%- set part = dango_monitors.profile_table_parts(run_id, schema, table, columns, masked, top_n, 'w' ~ loop.index) -%}
            {%- do ctes.append(part.cte) -%}
            {%- do selects.append(part.select) -%}
            {%- do labels.append(s(schema ~ '.' ~ table)) -%}
            {%- do extras.extend(part.extras) -%}
        {%- endfor -%}
        {%- set scan -%}
insert into {{ profiles }} ({{ dango_monitors.profile_columns() | join(', ') }})
with {{ ctes | join(',\n') }}
{{ selects | join('\nunion all\n') }}
        {%- endset -%}
        {%- do out.append('delete from ' ~ profiles ~ ' where run_id = ' ~ s(run_id) ~ ' and table_name in (' ~ labels | join(', ') ~ ')') -%}
        {%- do out.append(scan) -%}
        {%- do out.extend(extras) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- One table's part of a batch: its materialised one-row CTE named `w`, the select of its profile rows from `w` (one
    row per column, `unpivot_rows_sql`), and the statements that fill top values afterwards where the scan could
    not. -#}
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
        {#- Each statistic this column has: an aggregate in the CTE (`c<i>_<stat>`); the others are typed nulls in
            its profile row, not columns of the CTE (fewer expressions to plan). -#}
        {%- set v = {'distinct': 'cast(null as bigint)', 'min': 'cast(null as varchar)', 'max': 'cast(null as varchar)',
            'mean': 'cast(null as varchar)', 'p25': 'cast(null as varchar)', 'p50': 'cast(null as varchar)',
            'p75': 'cast(null as varchar)', 'minlen': 'cast(null as bigint)', 'maxlen': 'cast(null as bigint)',
            'meanlen': 'cast(null as double precision)', 'top': 'cast(null as varchar)'} -%}
        {%- set computed = [('nulls', 'count(*) - count(' ~ c ~ ')')] -%}
        {%- if kind != 'other' -%}
            {%- do computed.append(('distinct', 'least(' ~ dango_monitors.profile_approx_distinct(c) ~ ', count(' ~ c ~ '))')) -%}
        {%- endif -%}
        {%- if kind in ('number', 'date') and not hidden -%}
            {%- do computed.append(('min', 'cast(min(' ~ c ~ ') as varchar)')) -%}
            {%- do computed.append(('max', 'cast(max(' ~ c ~ ') as varchar)')) -%}
            {%- do computed.append(('mean', 'cast(' ~ dango_monitors.profile_mean(c, kind) ~ ' as varchar)')) -%}
            {%- for p, qv in [('p25', 0.25), ('p50', 0.5), ('p75', 0.75)] -%}
                {%- do computed.append((p, dango_monitors.profile_quantile(c, qv, kind))) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if kind == 'string' -%}
            {%- do computed.append(('minlen', 'min(length(' ~ c ~ '))')) -%}
            {%- do computed.append(('maxlen', 'max(length(' ~ c ~ '))')) -%}
            {%- do computed.append(('meanlen', 'avg(cast(length(' ~ c ~ ') as double precision))')) -%}
        {%- endif -%}
        {%- if kind != 'other' and not hidden -%}
            {%- do computed.append(('top', dango_monitors.profile_top_values_expr(c, top_n))) -%}
            {%- do top_pass.append((i, c)) -%}
        {%- endif -%}
        {%- for key, expr in computed -%}
            {%- do aggs.append(expr ~ ' as c' ~ i ~ '_' ~ key) -%}
            {%- do v.update({key: w ~ '.c' ~ i ~ '_' ~ key}) -%}
        {%- endfor -%}
        {%- do rows.append([s(run_id), 'current_timestamp', s(label), s(name), i ~ '', s(data_type), s(kind), w ~ '.n',
            v.nulls, 'case when ' ~ w ~ '.n > 0 then cast(' ~ v.nulls ~ ' as double precision) / ' ~ w ~ '.n end',
            v.distinct, (approx if kind != 'other' else 'false'), v.min, v.max, v.mean, v.p25, v.p50, v.p75,
            v.minlen, v.maxlen, v.meanlen, v.top, ('true' if hidden else 'false')]) -%}
    {%- endfor -%}
    {%- set cte = w ~ ' as materialized (\n    select ' ~ aggs | join(',\n        ') ~ '\n    from ' ~ relation ~ '\n)' -%}
    {%- set select = dango_monitors.unpivot_rows_sql(dango_monitors.profile_columns(), rows, w) -%}
    {%- set extras = dango_monitors.profile_top_values_pass(profiles, relation, s(run_id), s(label), top_pass, top_n) -%}
    {{ return({'cte': cte, 'select': select, 'extras': extras}) }}
{%- endmacro %}
