{#- Top values of a column as a JSON array of strings.
    `profile_top_values_expr`: an aggregate for the profile's single scan where the warehouse has one (DuckDB's
    approx_top_k); 'null' elsewhere, and then `profile_top_values_pass` fills them in one grouping-sets scan. -#}

{% macro profile_top_values_expr(expr, n) -%}
    {{ return(adapter.dispatch('profile_top_values_expr', 'dango_monitors')(expr, n)) }}
{%- endmacro %}

{% macro default__profile_top_values_expr(expr, n) -%}
    cast(null as varchar)
{%- endmacro %}

{% macro duckdb__profile_top_values_expr(expr, n) -%}
    cast(to_json(approx_top_k(cast({{ expr }} as varchar), {{ n }})) as varchar)
{%- endmacro %}

{% macro postgres__profile_top_values_expr(expr, n) -%}
    cast(null as varchar)
{%- endmacro %}

{#- Statements that fill `top_values` of the rows just written for (run_id, table_label); [] when the single scan
    already did. `columns` is a list of (ordinal, quoted column). -#}
{% macro profile_top_values_pass(profiles, relation, run_literal, label_literal, columns, n) -%}
    {{ return(adapter.dispatch('profile_top_values_pass', 'dango_monitors')(profiles, relation, run_literal, label_literal, columns, n)) }}
{%- endmacro %}

{% macro default__profile_top_values_pass(profiles, relation, run_literal, label_literal, columns, n) -%}
    {%- if not columns %}{{ return([]) }}{% endif -%}
    {%- set which -%}
        case {% for ordinal, col in columns %}when grouping({{ col }}) = 0 then {{ ordinal }} {% endfor %}end
    {%- endset -%}
    {%- set value -%}
        coalesce({% for ordinal, col in columns %}cast({{ col }} as varchar){% if not loop.last %}, {% endif %}{% endfor %})
    {%- endset -%}
    {%- set sql -%}
update {{ profiles }} as p set top_values = t.top_values
from (
    select ordinal, cast(json_agg(value order by cnt desc, value) as varchar) as top_values
    from (
        select {{ which }} as ordinal, {{ value }} as value, count(*) as cnt,
               row_number() over (partition by {{ which }} order by count(*) desc, {{ value }}) as rn
        from {{ relation }}
        group by grouping sets ({% for ordinal, col in columns %}({{ col }}){% if not loop.last %}, {% endif %}{% endfor %})
    ) g
    where rn <= {{ n }} and value is not null
    group by ordinal
) t
where p.run_id = {{ run_literal }} and p.table_name = {{ label_literal }} and p.ordinal = t.ordinal
    {%- endset -%}
    {{ return([sql]) }}
{%- endmacro %}

{% macro duckdb__profile_top_values_pass(profiles, relation, run_literal, label_literal, columns, n) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__profile_top_values_pass(profiles, relation, run_literal, label_literal, columns, n) -%}
    {{ return(dango_monitors.default__profile_top_values_pass(profiles, relation, run_literal, label_literal, columns, n)) }}
{%- endmacro %}
