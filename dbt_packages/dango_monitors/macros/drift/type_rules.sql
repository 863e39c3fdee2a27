{#-
    Schema drift rules: the ONE place where dango decides whether a type change can lose data.

    Every type name (DuckDB's and PostgreSQL's spellings) maps to a canonical type, a family and a rank in that
    family. Two names with the same canonical type are synonyms (no change). Within a family a higher rank holds every
    value of a lower one (widening: additive); anything else (lower rank, other family) is breaking. Parameters:
    DECIMAL(p, s) -> DECIMAL(p' >= p, s) or unbounded NUMERIC is additive; VARCHAR(n) -> VARCHAR(m >= n) or unbounded
    is additive. Unsigned integers also widen into a signed integer of a higher rank (UTINYINT -> SMALLINT).
    Types not listed here (STRUCT, LIST, MAP, ENUM, ...) are compared as whole, normalised strings: equal or breaking.
-#}

{% macro drift_type_rules() -%}
    {#- canonical: [family, rank, [names...]] -#}
    {{ return({
        'tinyint':      ['integer', 1, ['TINYINT', 'INT1']],
        'smallint':     ['integer', 2, ['SMALLINT', 'INT2', 'SHORT']],
        'integer':      ['integer', 3, ['INTEGER', 'INT', 'INT4', 'SIGNED']],
        'bigint':       ['integer', 4, ['BIGINT', 'INT8', 'LONG']],
        'hugeint':      ['integer', 5, ['HUGEINT', 'INT128']],
        'utinyint':     ['unsigned', 1, ['UTINYINT', 'UINT8']],
        'usmallint':    ['unsigned', 2, ['USMALLINT', 'UINT16']],
        'uinteger':     ['unsigned', 3, ['UINTEGER', 'UINT32']],
        'ubigint':      ['unsigned', 4, ['UBIGINT', 'UINT64']],
        'uhugeint':     ['unsigned', 5, ['UHUGEINT', 'UINT128']],
        'real':         ['float', 1, ['REAL', 'FLOAT', 'FLOAT4']],
        'double':       ['float', 2, ['DOUBLE', 'DOUBLE PRECISION', 'FLOAT8']],
        'decimal':      ['decimal', 1, ['DECIMAL', 'NUMERIC', 'DEC']],
        'varchar':      ['string', 1, ['VARCHAR', 'TEXT', 'STRING', 'CHARACTER VARYING', 'CHAR VARYING', 'CHAR',
                                       'CHARACTER', 'BPCHAR', 'NVARCHAR']],
        'boolean':      ['boolean', 1, ['BOOLEAN', 'BOOL', 'LOGICAL']],
        'date':         ['date', 1, ['DATE']],
        'time':         ['time', 1, ['TIME', 'TIME WITHOUT TIME ZONE']],
        'timetz':       ['timetz', 1, ['TIMETZ', 'TIME WITH TIME ZONE']],
        'timestamp':    ['timestamp', 1, ['TIMESTAMP', 'DATETIME', 'TIMESTAMP WITHOUT TIME ZONE']],
        'timestamptz':  ['timestamptz', 1, ['TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE']],
        'timestamp_s':  ['timestamp_s', 1, ['TIMESTAMP_S']],
        'timestamp_ms': ['timestamp_ms', 1, ['TIMESTAMP_MS']],
        'timestamp_ns': ['timestamp_ns', 1, ['TIMESTAMP_NS']],
        'interval':     ['interval', 1, ['INTERVAL']],
        'blob':         ['binary', 1, ['BLOB', 'BYTEA', 'BINARY', 'VARBINARY']],
        'uuid':         ['uuid', 1, ['UUID']],
        'json':         ['json', 1, ['JSON']],
        'jsonb':        ['jsonb', 1, ['JSONB']],
        'bit':          ['bit', 1, ['BIT', 'BITSTRING']],
    }) }}
{%- endmacro %}

{#- The rules as an SQL relation (alias, canonical, family, type_rank). -#}
{% macro drift_type_rules_sql() -%}
    {%- set rows = [] -%}
    {%- for canonical, rule in dango_monitors.drift_type_rules().items() -%}
        {%- for alias in rule[2] -%}
            {%- do rows.append("('" ~ alias ~ "', '" ~ canonical ~ "', '" ~ rule[0] ~ "', " ~ rule[1] ~ ")") -%}
        {%- endfor -%}
    {%- endfor -%}
    select * from (values {{ rows | join(', ') }}) as dango_type_rules (alias, canonical, family, type_rank)
{%- endmacro %}

{#- Regex helpers: DuckDB and PostgreSQL spell them differently. Patterns are trusted constants. -#}
{% macro drift_regex_group(expr, pattern) -%}
    {{ return(adapter.dispatch('drift_regex_group', 'dango_monitors')(expr, pattern)) }}
{%- endmacro %}

{% macro default__drift_regex_group(expr, pattern) -%}
    substring({{ expr }} from '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__drift_regex_group(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro drift_regex_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('drift_regex_matches', 'dango_monitors')(expr, pattern)) }}
{%- endmacro %}

{% macro default__drift_regex_matches(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__drift_regex_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#-
    CTEs `<name>` = every row of relation `src` (which has a data_type column) plus its parsed type:
    _canonical, _family, _rank, _p1 (precision or length), _p2 (scale). The regexes run once per distinct type
    name (a handful), not once per column (10,000 in a big schema), then the result joins back by name.
-#}
{% macro drift_normalize_ctes(name, src) -%}
{{ name }}__u as (
    select t.data_type, upper(trim(regexp_replace(t.data_type, '\s+', ' ', 'g'))) as _u
    from (select distinct data_type from {{ src }}) as t
),
{{ name }}__p as (
    select u.*,
        case when {{ dango_monitors.drift_regex_matches('u._u', '^[A-Z][A-Z0-9_ ]*(\(\s*[0-9]+\s*(,\s*[0-9]+\s*)?\))?$') }}
            then trim(regexp_replace(u._u, '\(.*$', '')) else u._u end as _base,
        case when {{ dango_monitors.drift_regex_matches('u._u', '^[A-Z][A-Z0-9_ ]*\(\s*[0-9]+\s*(,\s*[0-9]+\s*)?\)$') }}
            then cast({{ dango_monitors.drift_regex_group('u._u', '\(\s*([0-9]+)') }} as integer) end as _p1,
        case when {{ dango_monitors.drift_regex_matches('u._u', '^[A-Z][A-Z0-9_ ]*\(\s*[0-9]+\s*,\s*[0-9]+\s*\)$') }}
            then cast({{ dango_monitors.drift_regex_group('u._u', ',\s*([0-9]+)\s*\)') }} as integer) end as _p2
    from {{ name }}__u as u
),
{{ name }}__t as (
    select p.*,
        coalesce(r.canonical, lower(p._base)) as _canonical,
        coalesce(r.family, lower(p._base)) as _family,
        coalesce(r.type_rank, 0) as _rank,
        {#- DECIMAL(p) means scale 0 -#}
        case when r.family = 'decimal' and p._p1 is not null then coalesce(p._p2, 0) else p._p2 end as _scale
    from {{ name }}__p as p
    left join dango_type_rules as r on r.alias = p._base
),
{{ name }} as (
    select s.*, t._u, t._base, t._p1, t._p2, t._canonical, t._family, t._rank, t._scale
    from {{ src }} as s
    left join {{ name }}__t as t on t.data_type = s.data_type
)
{%- endmacro %}

{#-
    SQL expression: 'same', 'additive' or 'breaking' for a type change from o.* to n.* (normalised CTE rows).
-#}
{% macro drift_type_change_severity(o, n) -%}
case
    when {{ o }}._canonical = {{ n }}._canonical
         and coalesce({{ o }}._p1, -1) = coalesce({{ n }}._p1, -1)
         and coalesce({{ o }}._scale, -1) = coalesce({{ n }}._scale, -1) then 'same'
    when {{ o }}._family = 'unsigned' and {{ n }}._family = 'integer' and {{ n }}._rank > {{ o }}._rank then 'additive'
    when {{ o }}._family <> {{ n }}._family then 'breaking'
    when {{ n }}._rank < {{ o }}._rank then 'breaking'
    when {{ o }}._family = 'decimal' then
        case when {{ n }}._p1 is null then 'additive'
             when {{ o }}._p1 is null then 'breaking'
             when {{ n }}._scale = {{ o }}._scale and {{ n }}._p1 >= {{ o }}._p1 then 'additive'
             else 'breaking' end
    when {{ o }}._family = 'string' then
        case when {{ n }}._p1 is null then 'additive'
             when {{ o }}._p1 is null then 'breaking'
             when {{ n }}._p1 >= {{ o }}._p1 then 'additive'
             else 'breaking' end
    when {{ n }}._rank > {{ o }}._rank and coalesce({{ o }}._p1, -1) = coalesce({{ n }}._p1, -1) then 'additive'
    else 'breaking'
end
{%- endmacro %}
