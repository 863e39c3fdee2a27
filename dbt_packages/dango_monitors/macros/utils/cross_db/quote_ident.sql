{#-
    The ONE quoting helper for SQL identifiers (schemas, tables, columns): every name dango puts into SQL goes
    through it, so spaces, quotes, reserved words, mixed case and unicode are all taken literally.
-#}
{% macro quote_ident(name) -%}
    {{ return(adapter.dispatch('quote_ident', 'dango_monitors')(name)) }}
{%- endmacro %}

{#- SQL standard: wrap in double quotes, double any embedded double quote. -#}
{% macro default__quote_ident(name) -%}
    {{ return('"' ~ (name | string | replace('"', '""')) ~ '"') }}
{%- endmacro %}

{% macro duckdb__quote_ident(name) -%}
    {{ return(dango_monitors.default__quote_ident(name)) }}
{%- endmacro %}

{#- PostgreSQL silently truncates names longer than 63 bytes (NAMEDATALEN - 1), which would point the query at
    another object or at none: refuse them loudly instead. -#}
{% macro postgres__quote_ident(name) -%}
    {%- set text = name | string -%}
    {%- if text.encode('utf-8') | length > 63 -%}
        {{ exceptions.raise_compiler_error("dango_monitors: identifier longer than PostgreSQL's 63 bytes: '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(dango_monitors.default__quote_ident(text)) }}
{%- endmacro %}
