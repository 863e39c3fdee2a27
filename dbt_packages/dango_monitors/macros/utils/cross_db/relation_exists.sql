{#-
    relation_exists(relation): true when the table or view exists in the warehouse. It asks the catalog directly,
    with the names as string literals and quoted identifiers, not dbt's relation cache: dbt's listing matches schemas
    with `ilike` (so `Raw` also finds `raw`, and `_` is a wildcard) and breaks on a quote in the name.
    require_relation(relation, caller) raises a one-line error naming the relation when it does not exist, so a
    generic test on a missing table errors instead of passing on nothing.
-#}
{% macro relation_exists(relation) -%}
    {{ return(adapter.dispatch('relation_exists', 'dango_monitors')(relation)) }}
{%- endmacro %}

{% macro default__relation_exists(relation) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set found = run_query("select count(*) from information_schema.tables where table_schema = "
        ~ dango_monitors.string_literal(relation.schema) ~ " and table_name = "
        ~ dango_monitors.string_literal(relation.identifier)) -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{#- DuckDB resolves identifiers case-insensitively (even quoted ones), so the lookup does too. -#}
{% macro duckdb__relation_exists(relation) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set found = run_query("select count(*) from information_schema.tables where lower(table_catalog) = lower("
        ~ (dango_monitors.string_literal(relation.database) if relation.database else 'current_database()')
        ~ ") and lower(table_schema) = lower(" ~ dango_monitors.string_literal(relation.schema)
        ~ ") and lower(table_name) = lower(" ~ dango_monitors.string_literal(relation.identifier) ~ ")") -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{#- PostgreSQL: exact (case-sensitive) names through to_regclass, which returns null instead of raising. A query
    cannot read another database, so a relation there counts as missing. -#}
{% macro postgres__relation_exists(relation) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- if relation.database and (relation.database | lower) != (target.database | lower) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set name = dango_monitors.quote_ident(relation.schema) ~ '.' ~ dango_monitors.quote_ident(relation.identifier) -%}
    {%- set found = run_query("select to_regclass(" ~ dango_monitors.string_literal(name) ~ ") is not null") -%}
    {{ return(found.rows[0][0]) }}
{%- endmacro %}

{% macro require_relation(relation, caller_name) -%}
    {%- if execute and not dango_monitors.relation_exists(relation) -%}
        {{ exceptions.raise_compiler_error("dango_monitors." ~ caller_name ~ ": relation " ~ relation
            ~ " does not exist (not built yet, or a wrong schema/identifier in the YAML)") }}
    {%- endif -%}
{%- endmacro %}
