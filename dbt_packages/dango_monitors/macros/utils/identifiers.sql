{#- Where dango's own tables live. Quoting is cross_db/quote_ident.sql; the other cross-database helpers are in
    cross_db/, one per file. -#}

{% macro dango_schema() -%}
    {{ return(var('dango_schema', 'dango')) }}
{%- endmacro %}

{% macro dango_relation(table_name) -%}
    {{ return(dango_monitors.quote_ident(dango_monitors.dango_schema()) ~ '.' ~ dango_monitors.quote_ident(table_name)) }}
{%- endmacro %}
