{#- The SQL that profiles one table: a single scan computing every column's statistics at once (a materialised
    one-row CTE, unpivoted into one profile row per column), plus, where the warehouse has no top-k aggregate,
    one grouping-sets scan for top values.

    columns: list of [column_name, data_type]; masked: column names whose values must not leave the warehouse
    (PII findings, `pii` overrides, `meta: {pii: true}`): no top values, no min / max / quantiles for them. -#}

{% macro profile_table_statements(run_id, schema, table, columns, masked=[], top_n=5) -%}
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
        {%- set p = 'w.c' ~ i ~ '_' -%}
        {%- do rows.append('select ' ~ s(run_id) ~ ', current_timestamp, ' ~ s(label) ~ ', ' ~ s(name) ~ ', ' ~ i ~ ', '
            ~ s(data_type) ~ ', ' ~ s(kind) ~ ', w.n, ' ~ p ~ 'nulls, case when w.n > 0 then cast(' ~ p ~ 'nulls as double precision) / w.n end, '
            ~ p ~ 'distinct, ' ~ (approx if kind != 'other' else 'false') ~ ', ' ~ p ~ 'min, ' ~ p ~ 'max, ' ~ p ~ 'mean, '
            ~ p ~ 'p25, ' ~ p ~ 'p50, ' ~ p ~ 'p75, ' ~ p ~ 'minlen, ' ~ p ~ 'maxlen, ' ~ p ~ 'meanlen, ' ~ p ~ 'top, '
            ~ ('true' if hidden else 'false') ~ ' from w') -%}
    {%- endfor -%}
    {%- set scan -%}
insert into {{ profiles }} (run_id, profiled_at, table_name, column_name, ordinal, data_type, kind, row_count,
    null_count, null_share, distinct_count, distinct_approx, min_value, max_value, mean_value, p25, p50, p75,
    min_length, max_length, mean_length, top_values, masked)
with w as materialized (
    select {{ aggs | join(',\n        ') }}
    from {{ relation }}
)
{{ rows | join('\nunion all\n') }}
    {%- endset -%}
    {%- set out = ['delete from ' ~ profiles ~ ' where run_id = ' ~ s(run_id) ~ ' and table_name = ' ~ s(label), scan] -%}
    {%- for extra in dango_monitors.profile_top_values_pass(profiles, relation, s(run_id), s(label), top_pass, top_n) -%}
        {%- do out.append(extra) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}
