{#- A regex written in dango's portable subset, as the warehouse's regex engine spells it.

    The subset: RE2 syntax without lookaround, where Unicode classes appear only inside brackets and only as
    \p{L} (letters), \p{Lu} (upper case), \p{Ll} (lower case), \p{Lo} (letters without case: CJK, kana, Arabic,
    Hebrew...), \p{M} (combining marks), \p{Han}, \p{Hiragana}, \p{Katakana}; no inline flags.
    DuckDB (RE2) takes it as written. PostgreSQL's regex engine has no \p{...}: they become POSIX classes and code
    point ranges. -#}
{% macro regex_dialect(pattern) -%}
    {{ return(adapter.dispatch('regex_dialect', 'dango_monitors')(pattern)) }}
{%- endmacro %}

{% macro default__regex_dialect(pattern) -%}
    {{ return(pattern) }}
{%- endmacro %}

{% macro duckdb__regex_dialect(pattern) -%}
    {{ return(pattern) }}
{%- endmacro %}

{% macro postgres__regex_dialect(pattern) -%}
    {%- set han = '\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff' -%}
    {%- set hiragana = '\\u3040-\\u309f' -%}
    {%- set katakana = '\\u30a0-\\u30ff' -%}
    {%- set caseless = han ~ hiragana ~ katakana ~ '\\u05d0-\\u05ea\\u0620-\\u064a\\u0e01-\\u0e30\\uac00-\\ud7a3' -%}
    {%- set classes = {
        '\\p{Lu}': '[:upper:]',
        '\\p{Ll}': '[:lower:]',
        '\\p{Lo}': caseless,
        '\\p{L}': '[:alpha:]',
        '\\p{M}': '\\u0300-\\u036f',
        '\\p{Han}': han,
        '\\p{Hiragana}': hiragana,
        '\\p{Katakana}': katakana,
    } -%}
    {%- set ns = namespace(p=pattern) -%}
    {%- for token, replacement in classes.items() -%}
        {%- set ns.p = ns.p | replace(token, replacement) -%}
    {%- endfor -%}
    {{ return(ns.p) }}
{%- endmacro %}
