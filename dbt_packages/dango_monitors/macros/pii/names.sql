{#- Value-based full-name check for columns whose name gives no hint (`owner`, `field_7`, `nome` in a table of
    products or people): at least two words, no company form (GmbH, Ltd, S.A....), and the given name, after any
    titles ("Dr.", "Prof. Dr. med.", "Herr", "Mme"), is in the shipped list of given names (pii_first_names), or the
    value reads "Last, First". `known(token)` is the membership test, see pii_first_name_known. -#}
{% macro pii_full_name_valid(v, inline=false) -%}
    {%- set stripped = "regexp_replace(" ~ v ~ ", '^(?:(?:[A-Za-z.-]{1,12}[.]|Herr|Frau|Mr|Mrs|Ms|Miss|Mx|Mme|Mlle|Sr|Sra|Srta|Dott|Sig|Pan|Pani|pan|pani|Dhr|Mevr|Fru) )+', '')" -%}
    {%- set first = "split_part(split_part(" ~ stripped ~ ", ' ', 1), '-', 1)" -%}
    {%- set after_comma = "split_part(split_part(split_part(" ~ v ~ ", ', ', 2), ' ', 1), '-', 1)" -%}
    ({{ dango_monitors.pii_has(v, ' ') }}
     and not {{ dango_monitors.pii_contains_match(v, dango_monitors.pii_company_re()) }}
     and ({{ dango_monitors.pii_first_name_known(first, inline) }}
          or ({{ dango_monitors.pii_has(v, ', ') }} and {{ dango_monitors.pii_first_name_known(after_comma, inline) }})))
{%- endmacro %}

{#- Legal forms and words that make a name a company's. -#}
{% macro pii_company_re() -%}
    {{ return("(^| )(GmbH|AG|KG|KGaA|OHG|GbR|UG|e[.]V[.]|Ltd[.]?|LLC|LLP|Inc[.]?|Corp[.]?|PLC|plc|S[.]?A[.]?S?[.]?|SARL|S[.]A[.]R[.]L[.]|SAS|S[.]?p[.]?A[.]?|SPA|S[.]r[.]l[.]|Srl|S[.]L[.]|SL|B[.]?V[.]?|N[.]?V[.]?|AB|A/S|ASA|Oy|Sp[.]|z o[.]o[.]|Co[.]?|Company|Group|Gruppe|Groupe|Grupo|Gruppo|Holding|Partners?|Partner|Stiftung|Söhne|Fils|Hermanos|Figli|Zonen|&|and|und|et)(,| |$)") }}
{%- endmacro %}

{#- `token` is a known given name. In the scan's verdict query the list is a CTE (`pii_first_names`, one per
    query); `inline` writes it into the expression (for one-off value checks). -#}
{% macro pii_first_name_known(token, inline=false) -%}
    {%- if inline -%}
        ({{ token }} in ({% for n in dango_monitors.pii_first_names() %}{{ dango_monitors.pii_sql_string(n) }}{{ ', ' if not loop.last }}{% endfor %}))
    {%- else -%}
        ({{ token }} in (select n from pii_first_names))
    {%- endif -%}
{%- endmacro %}

{#- The CTE body the verdict query adds when a column needs the value-based check. -#}
{% macro pii_first_names_cte() -%}
    select n from (values {% for n in dango_monitors.pii_first_names() %}({{ dango_monitors.pii_sql_string(n) }}){{ ', ' if not loop.last }}{% endfor %}) as first_names(n)
{%- endmacro %}
