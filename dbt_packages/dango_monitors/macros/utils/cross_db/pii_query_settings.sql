{#- Statements to run, in the same transaction, right before a PII verdict query.

    PostgreSQL: JIT off for that transaction (`set local`). The verdict query's estimated cost is far above
    `jit_optimize_above_cost`, so PostgreSQL hands its hundreds of regex, validator and aggregate expressions to LLVM:
    on a 10,000-row sample of 20 columns that compilation took 32 s of a 44 s query, while the expressions themselves
    run in seconds interpreted. DuckDB and others: nothing. -#}
{% macro pii_query_settings() -%}
    {{ return(adapter.dispatch('pii_query_settings', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__pii_query_settings() -%}
    {{ return([]) }}
{%- endmacro %}

{% macro duckdb__pii_query_settings() -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__pii_query_settings() -%}
    {{ return(['set local jit = off']) }}
{%- endmacro %}
