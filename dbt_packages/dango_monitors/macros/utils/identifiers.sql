{#- Cross-database helpers. Each dispatches so an adapter can override it (default__ / duckdb__ side by side). -#}

{% macro quote_ident(name) -%}
    {{ return(adapter.dispatch('quote_ident', 'dango_monitors')(name)) }}
{%- endmacro %}

{% macro default__quote_ident(name) -%}
    {{ return('"' ~ (name | string | replace('"', '""')) ~ '"') }}
{%- endmacro %}

{% macro dango_schema() -%}
    {{ return(var('dango_schema', 'dango')) }}
{%- endmacro %}

{% macro dango_relation(table_name) -%}
    {{ return(dango_monitors.quote_ident(dango_monitors.dango_schema()) ~ '.' ~ dango_monitors.quote_ident(table_name)) }}
{%- endmacro %}
