{# Plain schema names (staging, marts) instead of dbt's <target>_<custom> concatenation. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
