-- Every type rule of macros/drift/type_rules.sql on literal type names (DuckDB and PostgreSQL spellings).
-- Returns the pairs whose verdict differs from the expected one: 'same' (synonyms), 'additive', 'breaking'.
{%- set cases = [
    ('INTEGER', 'BIGINT', 'additive'), ('INT4', 'INTEGER', 'same'), ('int', 'int4', 'same'),
    ('BIGINT', 'INTEGER', 'breaking'), ('TINYINT', 'SMALLINT', 'additive'), ('SMALLINT', 'HUGEINT', 'additive'),
    ('INT8', 'BIGINT', 'same'), ('HUGEINT', 'BIGINT', 'breaking'), ('INT2', 'TINYINT', 'breaking'),
    ('UTINYINT', 'SMALLINT', 'additive'), ('UTINYINT', 'TINYINT', 'breaking'), ('UINTEGER', 'UBIGINT', 'additive'),
    ('INTEGER', 'UBIGINT', 'breaking'),
    ('FLOAT', 'DOUBLE', 'additive'), ('REAL', 'DOUBLE PRECISION', 'additive'), ('FLOAT8', 'DOUBLE', 'same'),
    ('DOUBLE', 'FLOAT', 'breaking'), ('float4', 'real', 'same'),
    ('DECIMAL(10,2)', 'DECIMAL(12,2)', 'additive'), ('numeric(10,2)', 'DECIMAL(10, 2)', 'same'),
    ('DECIMAL(10,2)', 'DECIMAL(12,3)', 'breaking'), ('DECIMAL(12,2)', 'DECIMAL(10,2)', 'breaking'),
    ('DECIMAL(10,2)', 'NUMERIC', 'additive'), ('NUMERIC', 'DECIMAL(38,10)', 'breaking'),
    ('DECIMAL(10)', 'numeric(10,0)', 'same'),
    ('VARCHAR(10)', 'VARCHAR(20)', 'additive'), ('VARCHAR(20)', 'VARCHAR(10)', 'breaking'),
    ('character varying(10)', 'TEXT', 'additive'), ('TEXT', 'VARCHAR(10)', 'breaking'), ('VARCHAR', 'TEXT', 'same'),
    ('STRING', 'character varying', 'same'), ('character(5)', 'varchar(5)', 'same'),
    ('BOOL', 'BOOLEAN', 'same'), ('BOOLEAN', 'INTEGER', 'breaking'), ('INTEGER', 'VARCHAR', 'breaking'),
    ('INTEGER', 'DOUBLE', 'breaking'), ('DOUBLE', 'DECIMAL(38,10)', 'breaking'),
    ('TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'breaking'), ('TIMESTAMPTZ', 'timestamp with time zone', 'same'),
    ('timestamp without time zone', 'DATETIME', 'same'), ('DATE', 'TIMESTAMP', 'breaking'),
    ('TIMESTAMP', 'TIMESTAMP_NS', 'breaking'), ('time with time zone', 'TIMETZ', 'same'),
    ('BYTEA', 'BLOB', 'same'), ('JSON', 'JSONB', 'breaking'), ('uuid', 'UUID', 'same'),
    ('INTEGER[]', 'INTEGER[]', 'same'), ('INTEGER[]', 'BIGINT[]', 'breaking'),
    ('DECIMAL(12,2)[]', 'DECIMAL(12,2)[]', 'same'),
    ('STRUCT(a INTEGER)', 'STRUCT(a INTEGER, b VARCHAR)', 'breaking'),
] %}
{%- set old_rows = [] %}
{%- set new_rows = [] %}
{%- for old, new, expected in cases %}
    {%- do old_rows.append("select 's' as table_schema, 't" ~ loop.index ~ "' as table_name, 'c' as column_name, 1 as ordinal_position, '" ~ old ~ "' as data_type, 'YES' as is_nullable") %}
    {%- do new_rows.append("select 's' as table_schema, 't" ~ loop.index ~ "' as table_name, 'c' as column_name, 1 as ordinal_position, '" ~ new ~ "' as data_type, 'YES' as is_nullable") %}
{%- endfor %}
{%- set expected_rows = [] %}
{%- for old, new, expected in cases %}
    {%- do expected_rows.append("select 't" ~ loop.index ~ "' as table_name, '" ~ old ~ "' as old_type, '" ~ new ~ "' as new_type, '" ~ expected ~ "' as expected") %}
{%- endfor %}
with classified as (
    {{ dango_monitors.drift_changes_sql('(' ~ old_rows | join(' union all ') ~ ') as old_cols',
                                         '(' ~ new_rows | join(' union all ') ~ ') as new_cols', 'table') }}
),
expected as ({{ expected_rows | join(' union all ') }}),
verdicts as (
    select e.table_name, e.old_type, e.new_type, e.expected,
        coalesce(max(case when c.change = 'type_changed' then c.severity end), 'same') as actual,
        count(case when c.change <> 'type_changed' then 1 end) as other_changes
    from expected as e
    left join classified as c on c.table_name = e.table_name
    group by 1, 2, 3, 4
)
select * from verdicts where actual <> expected or other_changes > 0
