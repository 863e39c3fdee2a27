{#- Collection: every monitor on one table (same time column and grain) in ONE scan of that table.

    The scan is pre-aggregated to buckets, and GROUPING SETS give the total and every drill-down dimension in the same
    pass. Monitors with different filters still share the scan: each row is tagged with the filter groups it belongs
    to and the aggregates are split by that tag. Dimension values beyond the `max_dimension_values` most frequent fold
    into 'other' (found by one small query first, so the scan itself only tests a literal IN list, and only for
    columns over the cap); NULL becomes '(null)'. Output columns: monitor, bucket_start, dimension, dimension_value, value
    (the total has dimension = dimension_value = '__total__').

    `relation`: the table (a relation or a quoted name); `monitors`: resolved configs (monitor_config);
    `as_of_sql`: SQL timestamp; `time_sql`: the time column as naive UTC (time_utc_sql), none for snapshot monitors. -#}
{% macro collect_sql(relation, monitors, as_of_sql, time_sql) -%}
    {%- set first = monitors[0] -%}
    {%- set grain = first.grain -%}
    {%- set bucketed = time_sql is not none -%}
    {%- set ns = namespace(days=0) -%}
    {%- set dims = [] -%}
    {%- set masked = [] -%}
    {%- set caps = {} -%}
    {%- set filters = [] -%}
    {%- for m in monitors -%}
        {%- set d = dango_monitors.window_days(m.lookback_days, grain) | int -%}
        {%- if d > ns.days -%}{%- set ns.days = d -%}{%- endif -%}
        {%- for col in m.drill_down -%}
            {%- if col not in dims -%}{%- do dims.append(col) -%}{%- endif -%}
            {%- if col in m.mask_drill_down and col not in masked -%}{%- do masked.append(col) -%}{%- endif -%}
            {%- if m.max_dimension_values > caps.get(col, 0) -%}{%- do caps.update({col: m.max_dimension_values}) -%}{%- endif -%}
        {%- endfor -%}
        {%- set f = m.filter if m.filter else 'true' -%}
        {%- if f not in filters -%}{%- do filters.append(f) -%}{%- endif -%}
    {%- endfor -%}
    {%- set test_bucket = dango_monitors.test_bucket_sql(as_of_sql, grain) -%}
    {%- if bucketed -%}
        {%- set bucket = "date_trunc('" ~ grain ~ "', " ~ time_sql ~ ")" -%}
        {%- set window = time_sql ~ " >= " ~ test_bucket ~ " - interval '" ~ ns.days ~ " days' and " ~ time_sql ~ " < " ~ test_bucket ~ " + " ~ dango_monitors.grain_interval(grain) -%}
    {%- else -%}
        {%- set bucket = as_of_sql -%}
        {%- set window = 'true' -%}
    {%- endif -%}
    {%- set grouped = filters | length > 1 -%}
    {%- set folds = dango_monitors.dimension_folds(relation, dims, caps, window, masked) if execute else {} -%}
    {%- set g = '__fg.__g, ' if grouped else '' -%}
with
__agg as (
    select
        {{ g }}__b as bucket_start,
        {%- for col in dims %}
        grouping(__d{{ loop.index0 }}) as __gd{{ loop.index0 }},
        __d{{ loop.index0 }},
        {%- endfor %}
        {%- for m in monitors %}
        {%- set f = m.filter if m.filter else 'true' %}
        {% if grouped %}case when __fg.__g = {{ filters.index(f) }} then ({{ m.value_expression }}) end{% else %}({{ m.value_expression }}){% endif %} as __m{{ loop.index0 }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            *,
            {%- for col in dims %}
            {%- set q = dango_monitors.quote_ident(col) %}
            {%- set v = dango_monitors.dimension_value_sql(col, masked) %}
            {%- if col in folds %}
            case
                when {{ q }} is null then '(null)'
                when {{ v }} in ({{ folds[col] | join(', ') }}) then {{ v }}
                else 'other'
            end as __d{{ loop.index0 }},
            {%- else %}
            coalesce({{ v }}, '(null)') as __d{{ loop.index0 }},
            {%- endif %}
            {%- endfor %}
            {{ bucket }} as __b
        from {{ relation }}
        where {{ window }}
    ) as __s
    {%- if grouped %}
    cross join (values {% for f in filters %}({{ loop.index0 }}){{ ', ' if not loop.last }}{% endfor %}) as __fg(__g)
    where {% for f in filters %}(__fg.__g = {{ loop.index0 }} and ({{ f }})){{ ' or ' if not loop.last }}{% endfor %}
    {%- else %}
    where ({{ filters[0] }})
    {%- endif %}
    group by grouping sets (({{ g }}__b){% for col in dims %}, ({{ g }}__b, __d{{ loop.index0 }}){% endfor %})
)
{%- for m in monitors %}
{%- set f = m.filter if m.filter else 'true' %}
select
    {{ dango_monitors.sql_string(m.name) }} as monitor,
    cast(bucket_start as timestamp) as bucket_start,
    case when false then null
        {%- for col in m.drill_down %}
        when __gd{{ dims.index(col) }} = 0 then {{ dango_monitors.sql_string(col) }}
        {%- endfor %}
        else '__total__'
    end as dimension,
    case when false then null
        {%- for col in m.drill_down %}
        when __gd{{ dims.index(col) }} = 0 then __d{{ dims.index(col) }}
        {%- endfor %}
        else '__total__'
    end as dimension_value,
    cast(__m{{ loop.index0 }} as {{ dango_monitors.type_double() }}) as value
from __agg
where {{ ('__g = ' ~ filters.index(f)) if grouped else 'true' }}
    and ({% for col in dims %}__gd{{ loop.index0 }} = 1{{ ' and ' if not loop.last }}{% else %}true{% endfor %}
        {%- for col in m.drill_down %} or __gd{{ dims.index(col) }} = 0{% endfor %})
{{ 'union all' if not loop.last }}
{%- endfor %}
{%- endmacro %}


{#- Per drill-down column over its cap: the quoted literals of its most frequent values (one grouped query for all
    columns). Columns within their cap are absent: they need no folding. -#}
{% macro dimension_folds(relation, dims, caps, window, masked=[]) -%}
    {%- if not dims -%}{{ return({}) }}{%- endif -%}
    {%- set query = dango_monitors.dimension_counts_sql(relation, dims, caps, window, masked) -%}
    {%- set found = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- set col = dims[row[0] | int] -%}
        {%- do found.setdefault(col, []).append(row[1]) -%}
    {%- endfor -%}
    {%- set folds = {} -%}
    {%- for col, values in found.items() -%}
        {%- if values | length > caps[col] -%}
            {%- set kept = [] -%}
            {%- for v in values[:caps[col]] -%}{%- do kept.append(dango_monitors.sql_string(v)) -%}{%- endfor -%}
            {%- do folds.update({col: kept}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(folds) }}
{%- endmacro %}

{#- The most frequent values of every drill-down column (up to its cap + 1, to tell whether it is over the cap). -#}
{% macro dimension_counts_sql(relation, dims, caps, window, masked=[]) -%}
    {%- set ns = namespace(cap=0) -%}
    {%- for col in dims -%}{%- if caps[col] > ns.cap -%}{%- set ns.cap = caps[col] -%}{%- endif -%}{%- endfor -%}
    {%- set query -%}
        select __dim, __v from (
            select __dim, __v, row_number() over (partition by __dim order by __n desc, __v) as __rn
            from (
                select
                    case
                    {%- for col in dims %}
                        when grouping({{ dango_monitors.quote_ident(col) }}) = 0 then {{ loop.index0 }}
                    {%- endfor %}
                    end as __dim,
                    coalesce({% for col in dims %}{{ dango_monitors.dimension_value_sql(col, masked) }}{{ ', ' if not loop.last }}{% endfor %}{{ ', null' if dims | length == 1 }}) as __v,
                    count(*) as __n
                from {{ relation }}
                where {{ window }}
                group by grouping sets ({% for col in dims %}({{ dango_monitors.quote_ident(col) }}){{ ', ' if not loop.last }}{% endfor %})
            ) as __counts
            where __v is not null
        ) as __ranked
        where __rn <= {{ ns.cap + 1 }}
    {%- endset -%}
    {{ return(query) }}
{%- endmacro %}

{#- A drill-down column's value as text; for a PII column (mask_drill_down) its masked token instead, computed in
    the warehouse, so the raw value never reaches the history, the results, the rendered SQL or the dbt log. -#}
{% macro dimension_value_sql(col, masked=[]) -%}
    {%- set q = dango_monitors.quote_ident(col) -%}
    {%- if col in masked -%}
        {{ return('case when ' ~ q ~ ' is not null then ' ~ dango_monitors.mask_value(q) ~ ' end') }}
    {%- endif -%}
    {{ return('cast(' ~ q ~ ' as varchar)') }}
{%- endmacro %}
