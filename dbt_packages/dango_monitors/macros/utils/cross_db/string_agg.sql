{#-
    string_agg_sql(expr, separator_sql, order_by): an ordered text aggregate. DuckDB and PostgreSQL share the
    standard `string_agg(x, sep order by ...)` spelling; other adapters can override it here.
-#}
{% macro string_agg_sql(expr, separator_sql, order_by) -%}
    {{ return(adapter.dispatch('string_agg_sql', 'dango_monitors')(expr, separator_sql, order_by)) }}
{%- endmacro %}

{% macro default__string_agg_sql(expr, separator_sql, order_by) -%}
    {{ return('string_agg(' ~ expr ~ ', ' ~ separator_sql ~ ' order by ' ~ order_by ~ ')') }}
{%- endmacro %}

{% macro duckdb__string_agg_sql(expr, separator_sql, order_by) -%}
    {{ return(dango_monitors.default__string_agg_sql(expr, separator_sql, order_by)) }}
{%- endmacro %}

{% macro postgres__string_agg_sql(expr, separator_sql, order_by) -%}
    {{ return(dango_monitors.default__string_agg_sql(expr, separator_sql, order_by)) }}
{%- endmacro %}
