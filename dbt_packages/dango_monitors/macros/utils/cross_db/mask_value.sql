{#-
    mask_value(expr): a text value replaced by a stable, non-reversible-at-a-glance token `pii:` + 12 hex digits of
    its MD5. Used for drill-down values of PII columns, so that neither the metric history, the results nor the dbt
    log ever hold the raw value, while the same value still maps to the same segment from bucket to bucket.
-#}
{% macro mask_value(expr) -%}
    {{ return(adapter.dispatch('mask_value', 'dango_monitors')(expr)) }}
{%- endmacro %}

{% macro default__mask_value(expr) -%}
    {{ return("('pii:' || substr(md5(cast(" ~ expr ~ " as varchar)), 1, 12))") }}
{%- endmacro %}

{% macro duckdb__mask_value(expr) -%}
    {{ return(dango_monitors.default__mask_value(expr)) }}
{%- endmacro %}

{% macro postgres__mask_value(expr) -%}
    {{ return("('pii:' || substr(md5(cast(" ~ expr ~ " as text)), 1, 12))") }}
{%- endmacro %}
