{#-
    star_except(alias, except, columns): every column of `alias` but the ones in `except`, as a select-list fragment.
    DuckDB has `alias.* exclude (...)`; PostgreSQL has nothing like it, so the caller passes the relation's
    `columns` (it builds them in Jinja anyway) and they are listed explicitly, each quoted.
-#}
{% macro star_except(alias, except, columns=none) -%}
    {{ return(adapter.dispatch('star_except', 'dango_monitors')(alias, except, columns)) }}
{%- endmacro %}

{% macro default__star_except(alias, except, columns=none) -%}
    {%- if columns is none -%}
        {{ exceptions.raise_compiler_error("dango_monitors.star_except: on " ~ target.type
            ~ " the columns of '" ~ alias ~ "' must be given (there is no `* exclude`)") }}
    {%- endif -%}
    {%- set dropped = except | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- for c in columns if (c | lower) not in dropped -%}
        {%- do kept.append(alias ~ '.' ~ dango_monitors.quote_ident(c)) -%}
    {%- endfor -%}
    {%- if not kept -%}
        {{ exceptions.raise_compiler_error("dango_monitors.star_except: no column of '" ~ alias ~ "' is left") }}
    {%- endif -%}
    {{ return(kept | join(', ')) }}
{%- endmacro %}

{% macro duckdb__star_except(alias, except, columns=none) -%}
    {%- set quoted = [] -%}
    {%- for c in except %}{% do quoted.append(dango_monitors.quote_ident(c)) %}{% endfor -%}
    {{ return(alias ~ '.* exclude (' ~ quoted | join(', ') ~ ')') }}
{%- endmacro %}

{% macro postgres__star_except(alias, except, columns=none) -%}
    {{ return(dango_monitors.default__star_except(alias, except, columns)) }}
{%- endmacro %}
