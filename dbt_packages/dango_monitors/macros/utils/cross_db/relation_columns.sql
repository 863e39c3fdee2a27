{#-
    relation_columns(database, schema, identifier): the columns of a table or view as a list of
    {name, data_type} (data_type upper-cased), read from information_schema with every name passed as an escaped
    string literal. Used instead of get_columns_in_relation for names that come from monitors.yml, which may hold
    any character (quotes, semicolons, newlines). An empty list means the relation does not exist.
-#}
{% macro relation_columns(database, schema, identifier) -%}
    {{ return(adapter.dispatch('relation_columns', 'dango_monitors')(database, schema, identifier)) }}
{%- endmacro %}

{% macro default__relation_columns(database, schema, identifier) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select column_name, data_type
        from information_schema.columns
        where table_schema = {{ dango_monitors.sql_string(schema) }}
          and table_name = {{ dango_monitors.sql_string(identifier) }}
          {%- if database %}
          and table_catalog = {{ dango_monitors.sql_string(database) }}
          {%- endif %}
        order by ordinal_position
    {%- endset -%}
    {%- set found = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do found.append({'name': row[0], 'data_type': (row[1] | string | upper)}) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{% macro duckdb__relation_columns(database, schema, identifier) -%}
    {{ return(dango_monitors.default__relation_columns(database, schema, identifier)) }}
{%- endmacro %}

{#- PostgreSQL's information_schema only shows the current database; a name of another one finds nothing. -#}
{% macro postgres__relation_columns(database, schema, identifier) -%}
    {{ return(dango_monitors.default__relation_columns(database, schema, identifier)) }}
{%- endmacro %}
