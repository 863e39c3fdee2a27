{#- Value-based full-name check for columns whose name gives no hint (`owner`, `field_7`, `nome` in a table of
    products or people): at least two words, no company form (GmbH, Ltd, S.A....), and the given name, after any
    titles ("Dr.", "Prof. Dr. med.", "Herr", "Mme"), is in the shipped list of given names (pii_first_names), or the
    value reads "Last, First". `known(token)` is the membership test, see pii_first_name_known. -#}
{% macro pii_full_name_valid(v, inline=false) -%}
    {{ return(adapter.dispatch('pii_full_name_valid', 'dango_monitors')(v, inline)) }}
{%- endmacro %}

{% macro pii_name_titles_re() -%}
    {{ return("(?:[A-Za-z.-]{1,12}[.]|Herr|Frau|Mr|Mrs|Ms|Miss|Mx|Mme|Mlle|Sr|Sra|Srta|Dott|Sig|Pan|Pani|pan|pani|Dhr|Mevr|Fru) ") }}
{%- endmacro %}

{% macro default__pii_full_name_valid(v, inline=false) -%}
    {%- set stripped = "regexp_replace(" ~ v ~ ", '^(?:" ~ dango_monitors.pii_name_titles_re() ~ ")+', '')" -%}
    {%- set first = "split_part(split_part(" ~ stripped ~ ", ' ', 1), '-', 1)" -%}
    {%- set after_comma = "split_part(split_part(split_part(" ~ v ~ ", ', ', 2), ' ', 1), '-', 1)" -%}
    ({{ dango_monitors.pii_has(v, ' ') }}
     and not {{ dango_monitors.pii_contains_match(v, dango_monitors.pii_company_re()) }}
     and ({{ dango_monitors.pii_first_name_known(first, inline) }}
          or ({{ dango_monitors.pii_has(v, ', ') }} and {{ dango_monitors.pii_first_name_known(after_comma, inline) }})))
{%- endmacro %}

{% macro duckdb__pii_full_name_valid(v, inline=false) -%}
    {#- One regex per column: the given name after any titles at the start, or after "Last, ". -#}
    {%- set known = "(?:^(?:" ~ dango_monitors.pii_name_titles_re() ~ ")*|, )(?:" ~ dango_monitors.pii_first_names() | join('|') ~ ")(?:[ ,-]|$)" -%}
    ({{ dango_monitors.pii_has(v, ' ') }}
     and not {{ dango_monitors.pii_contains_match(v, dango_monitors.pii_company_re()) }}
     and {{ dango_monitors.pii_contains_match(v, known) }})
{%- endmacro %}

{#- Legal forms and words that make a name a company's. -#}
{% macro pii_company_re() -%}
    {{ return("(^| )(GmbH|AG|KG|KGaA|OHG|GbR|UG|e[.]V[.]|Ltd[.]?|LLC|LLP|Inc[.]?|Corp[.]?|PLC|plc|S[.]?A[.]?S?[.]?|SARL|S[.]A[.]R[.]L[.]|SAS|S[.]?p[.]?A[.]?|SPA|S[.]r[.]l[.]|Srl|S[.]L[.]|SL|B[.]?V[.]?|N[.]?V[.]?|AB|A/S|ASA|Oy|Sp[.]|z o[.]o[.]|Co[.]?|Company|Group|Gruppe|Groupe|Grupo|Gruppo|Holding|Partners?|Partner|Stiftung|Söhne|Fils|Hermanos|Figli|Zonen|&|and|und|et)(,| |$)") }}
{%- endmacro %}

{#- `token` is a known given name. On DuckDB one regex alternation of the names (RE2 compiles it to an automaton:
    measured 30x faster than an IN list of constants, and 2x faster than a semi-join). Elsewhere a hashed lookup in a
    CTE of the names (`pii_first_names`, one per verdict query; pii_first_names_cte) or, with `inline`, an IN list
    (for one-off value checks). -#}
{% macro pii_first_name_known(token, inline=false) -%}
    {{ return(adapter.dispatch('pii_first_name_known', 'dango_monitors')(token, inline)) }}
{%- endmacro %}

{% macro default__pii_first_name_known(token, inline=false) -%}
    {%- if inline -%}
        ({{ token }} in ({% for n in dango_monitors.pii_first_names() %}{{ dango_monitors.pii_sql_string(n) }}{{ ', ' if not loop.last }}{% endfor %}))
    {%- else -%}
        ({{ token }} in (select n from pii_first_names))
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__pii_first_name_known(token, inline=false) -%}
    regexp_full_match({{ token }}, {{ dango_monitors.pii_sql_string(dango_monitors.pii_first_names() | join('|')) }})
{%- endmacro %}

{% macro postgres__pii_first_name_known(token, inline=false) -%}
    {#- A constant array: PostgreSQL 14+ hashes `= any` over constant arrays (an IN subquery on a CTE of the names was
        planned as a linear scan per value). The names are letters only, so the array literal needs no quoting. -#}
    ({{ token }} = any(cast({{ dango_monitors.pii_sql_string('{' ~ dango_monitors.pii_first_names() | join(',') ~ '}') }} as text[])))
{%- endmacro %}

{#- Whether the verdict query needs the `pii_first_names` CTE (not on DuckDB or PostgreSQL). -#}
{% macro pii_first_names_needs_cte() -%}
    {{ return(adapter.type() not in ('duckdb', 'postgres')) }}
{%- endmacro %}

{#- The CTE body the verdict query adds when a column needs the value-based check. -#}
{% macro pii_first_names_cte() -%}
    select n from (values {% for n in dango_monitors.pii_first_names() %}({{ dango_monitors.pii_sql_string(n) }}){{ ', ' if not loop.last }}{% endfor %}) as first_names(n)
{%- endmacro %}
