{#-
    unpivot_rows_sql(names, rows, from_sql): one SELECT over `from_sql` (typically a one-row CTE) that yields one
    output row per entry of `rows` (each a list of SQL expressions, aligned with `names`).

    The portable form is a `union all` of one select per row. DuckDB and PostgreSQL unnest arrays side by side in
    the select list instead (both zip several `unnest`s of equal length): a table with 30 columns then binds one
    select of 23 arrays rather than 30 selects of 23 expressions, which halves the planning time of a profile
    statement on DuckDB. Expressions that are the same in every row stay scalar.
-#}
{% macro unpivot_rows_sql(names, rows, from_sql) -%}
    {{ return(adapter.dispatch('unpivot_rows_sql', 'dango_monitors')(names, rows, from_sql)) }}
{%- endmacro %}

{% macro default__unpivot_rows_sql(names, rows, from_sql) -%}
    {%- set selects = [] -%}
    {%- for row in rows -%}
        {%- set items = [] -%}
        {%- for expr in row %}{% do items.append(expr ~ ' as ' ~ names[loop.index0]) %}{% endfor -%}
        {%- do selects.append('select ' ~ items | join(', ') ~ ' from ' ~ from_sql) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{%- endmacro %}

{% macro unnest_arrays_unpivot_rows_sql(names, rows, from_sql) -%}
    {%- if rows | length < 2 -%}
        {{ return(dango_monitors.default__unpivot_rows_sql(names, rows, from_sql)) }}
    {%- endif -%}
    {%- set items = [] -%}
    {%- set ns = namespace(unnested=0) -%}
    {%- for name in names -%}
        {%- set j = loop.index0 -%}
        {%- set column = rows | map(attribute=j) | list -%}
        {%- if column | unique | list | length == 1 -%}
            {%- do items.append(column[0] ~ ' as ' ~ name) -%}
        {%- else -%}
            {%- set ns.unnested = ns.unnested + 1 -%}
            {%- do items.append('unnest(array[' ~ column | join(', ') ~ ']) as ' ~ name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.unnested == 0 -%}
        {{ return(dango_monitors.default__unpivot_rows_sql(names, rows, from_sql)) }}
    {%- endif -%}
    {{ return('select ' ~ items | join(',\n    ') ~ '\nfrom ' ~ from_sql) }}
{%- endmacro %}

{% macro duckdb__unpivot_rows_sql(names, rows, from_sql) -%}
    {{ return(dango_monitors.unnest_arrays_unpivot_rows_sql(names, rows, from_sql)) }}
{%- endmacro %}

{% macro postgres__unpivot_rows_sql(names, rows, from_sql) -%}
    {{ return(dango_monitors.unnest_arrays_unpivot_rows_sql(names, rows, from_sql)) }}
{%- endmacro %}
