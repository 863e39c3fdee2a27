{#- dango_column_profiles: one row per (run, table, column). Appended, never replaced, so profiles have history.
    Numbers and dates share the text columns min_value .. p75 (read them with the column's `kind`). -#}

{% macro profile_relation() -%}
    {{ return(dango_monitors.dango_relation('dango_column_profiles')) }}
{%- endmacro %}

{% macro profile_ddl() -%}
    {{ return([
        "create schema if not exists " ~ dango_monitors.quote_ident(dango_monitors.dango_schema()),
        "create table if not exists " ~ dango_monitors.profile_relation() ~ " (
        run_id varchar, profiled_at timestamp, table_name varchar, column_name varchar, ordinal integer,
        data_type varchar, kind varchar, row_count bigint, null_count bigint, null_share double precision,
        distinct_count bigint, distinct_approx boolean, min_value varchar, max_value varchar, mean_value varchar,
        p25 varchar, p50 varchar, p75 varchar, min_length bigint, max_length bigint, mean_length double precision,
        top_values varchar, masked boolean)",
    ]) }}
{%- endmacro %}

{#- The profile table's columns in order: what a profile INSERT names and each profile row lists. -#}
{% macro profile_columns() -%}
    {{ return(['run_id', 'profiled_at', 'table_name', 'column_name', 'ordinal', 'data_type', 'kind', 'row_count',
        'null_count', 'null_share', 'distinct_count', 'distinct_approx', 'min_value', 'max_value', 'mean_value', 'p25',
        'p50', 'p75', 'min_length', 'max_length', 'mean_length', 'top_values', 'masked']) }}
{%- endmacro %}

{% macro profile_create_table() -%}
    {% for statement in dango_monitors.profile_ddl() %}{% do run_query(statement) %}{% endfor %}
{%- endmacro %}

{#- number | date | string | boolean | other, from an information_schema data type (DuckDB or PostgreSQL spelling). -#}
{% macro profile_kind(data_type) -%}
    {%- set t = data_type | upper -%}
    {%- if dango_monitors.pii_is_string_type(t) -%}{{ return('string') }}{%- endif -%}
    {%- if t in ('BOOLEAN', 'BOOL') -%}{{ return('boolean') }}{%- endif -%}
    {%- set base = t.split('(')[0] | trim -%}
    {%- if base in ('TINYINT', 'SMALLINT', 'INTEGER', 'INT', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
                    'UBIGINT', 'UHUGEINT', 'DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'DOUBLE PRECISION',
                    'INT2', 'INT4', 'INT8', 'FLOAT4', 'FLOAT8') -%}{{ return('number') }}{%- endif -%}
    {%- if base in ('DATE', 'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP WITHOUT TIME ZONE',
                    'DATETIME', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS') -%}{{ return('date') }}{%- endif -%}
    {{ return('other') }}
{%- endmacro %}
