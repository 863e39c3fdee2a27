{#- One query per table: every string column and every entity in a single pass over a reproducible sample (or the
    whole table), then the column verdict. This is the only place a verdict is computed: the scan (pii_scan), the
    generic test (no_unexpected_pii) and the Python side all read its rows.

    Per (column, entity, mode) it returns the non-null sample size, pattern matches, validated matches, prevalence
    (validated / non-null), the share of pattern matches that validate, `flagged`, `confidence`, a masked example
    and, when a column could not be judged, `skip_reason`. Raw values never leave this query: examples are masked
    inside it.

    Modes: `full` = the whole value is the entity (an email column); `contains` = the entity appears inside free
    text (order notes with an email in a sentence). `contains` is reported only when `full` is not flagged, needs
    at least `dango_pii_min_contains_hits` values and `dango_pii_min_contains_prevalence` of the non-null sample,
    and is only run for entities with a `contains_pattern` (emails: the one entity precise enough inside prose).
-#}

{% macro pii_setting(name) -%}
    {%- set defaults = {
        'dango_pii_sample_rows': 10000,
        'dango_pii_seed': 42,
        'dango_pii_min_sample': 20,
        'dango_pii_min_prevalence': 0.5,
        'dango_pii_min_prevalence_with_hint': 0.3,
        'dango_pii_min_contains_hits': 3,
        'dango_pii_min_contains_prevalence': 0.01,
        'dango_pii_batch_columns': 50,
        'dango_pii_max_sample_cells': 2000000,
        'dango_pii_min_sample_rows': 1000,
    } -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- Column names are compared lower-cased, with spaces, hyphens and dots read as underscores (`E-Mail`,
    `Date of birth`) and camelCase split (`firstName`). -#}
{% macro pii_normal_name(name) -%}
    {{ return(modules.re.sub('[ .-]+', '_', modules.re.sub('([a-z0-9])([A-Z])', '\\1_\\2', name | string)).lower()) }}
{%- endmacro %}

{% macro pii_column_hint(entity, column_name, table_name) -%}
    {%- set col = dango_monitors.pii_normal_name(column_name) -%}
    {%- if entity.hint_exclude and modules.re.search(entity.hint_exclude, col) -%}
        {{ return(false) }}
    {%- elif modules.re.search(entity.hint, col) -%}
        {{ return(true) }}
    {%- elif entity.bare_hint and modules.re.search(entity.bare_hint, col) and modules.re.search(dango_monitors.pii_person_tables_re(), table_name | lower) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}

{#- Rows sampled per column for a table of `n_columns` string columns: `dango_pii_sample_rows`, lowered for wide
    tables so a sample holds at most `dango_pii_max_sample_cells` cells (never below `dango_pii_min_sample_rows`):
    a 2,000-column table is judged on 1,000 rows per column, enough for a prevalence verdict, in bounded time. -#}
{% macro pii_sample_rows_for(n_columns, sample_rows=none) -%}
    {%- set rows = sample_rows or dango_monitors.pii_setting('dango_pii_sample_rows') -%}
    {%- set budget = dango_monitors.pii_setting('dango_pii_max_sample_cells') -%}
    {%- if sample_rows is none and n_columns * rows > budget -%}
        {%- set rows = [dango_monitors.pii_setting('dango_pii_min_sample_rows'), budget // n_columns] | max -%}
    {%- endif -%}
    {{ return(rows) }}
{%- endmacro %}

{#- Batches of at most `dango_pii_batch_columns` columns (one verdict query each), and never more than the warehouse
    can take in one query (pii_max_batch_columns). -#}
{% macro pii_column_batches(columns) -%}
    {%- set width = [dango_monitors.pii_setting('dango_pii_batch_columns') | int, dango_monitors.pii_max_batch_columns()] | min -%}
    {%- set out = [] -%}
    {%- for start in range(0, columns | length, width) %}{% do out.append(columns[start:start + width]) %}{% endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- A full scan (the wide layout) aggregates about 31 values per column into one row, and a PostgreSQL row holds at
    most 1,664: a batch of 50 columns fits, 54 would fail. A larger `dango_pii_batch_columns` is cut to 50 there. -#}
{% macro pii_max_batch_columns() -%}
    {{ return(adapter.dispatch('pii_max_batch_columns', 'dango_monitors')()) }}
{%- endmacro %}
{% macro default__pii_max_batch_columns() -%}{{ return(1000000) }}{%- endmacro %}
{% macro postgres__pii_max_batch_columns() -%}{{ return(50) }}{%- endmacro %}

{#- FROM clause of the scan: the table, or a reproducible random sample of it (cross_db/random_sample.sql). -#}
{% macro pii_sample_from(relation, select_list, full, sample_rows, seed, row_count) -%}
    {%- if full -%}
        {{ return('select ' ~ select_list ~ ' from ' ~ relation) }}
    {%- endif -%}
    {{ return(dango_monitors.random_sample_sql(relation, select_list, sample_rows, seed, row_count)) }}
{%- endmacro %}

{% macro pii_materialized() -%}
    {{ return(adapter.dispatch('pii_materialized', 'dango_monitors')()) }}
{%- endmacro %}
{% macro default__pii_materialized() -%}{%- endmacro %}
{% macro duckdb__pii_materialized() -%} materialized {%- endmacro %}
{% macro postgres__pii_materialized() -%} materialized {%- endmacro %}

{#- The wide layout's per-value detector CTE when it is read twice (a full scan with a deferred check). PostgreSQL
    inlines a CTE and does not share common subexpressions, so each detector (regexes, validators) would run once per
    aggregate that reads it (three to five times): measured 16x the hand-written query before materializing. DuckDB
    shares them already. Read once, it is fenced with pii_single_read_fence instead. -#}
{% macro pii_materialized_flags() -%}
    {{ return(adapter.dispatch('pii_materialized_flags', 'dango_monitors')()) }}
{%- endmacro %}
{% macro default__pii_materialized_flags() -%}{%- endmacro %}
{% macro postgres__pii_materialized_flags() -%} materialized {%- endmacro %}

{#- A CTE read once (the long layout's flags; the wide layout's when nothing reads them again). On PostgreSQL,
    `offset 0` keeps that subquery from being pulled up, so each detector runs once per value and the aggregates read
    its result, without writing the stream to a temporary file as a materialized CTE does. DuckDB: nothing. -#}
{% macro pii_single_read_fence() -%}
    {{ return(adapter.dispatch('pii_single_read_fence', 'dango_monitors')()) }}
{%- endmacro %}
{% macro default__pii_single_read_fence() -%}{%- endmacro %}
{% macro postgres__pii_single_read_fence() %} offset 0{% endmacro %}

{% macro pii_cast_varchar(exprs) -%}
    {%- set out = [] -%}
    {%- for x in exprs %}{% do out.append('cast(' ~ x ~ ' as varchar)') %}{% endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- For each deferred (column, entity): the column's value where its shape matched (f = 1), else null. -#}
{% macro pii_deferred_values(deferred, aliases) -%}
    {%- set out = [] -%}
    {%- for i, j, e in deferred -%}
        {%- do out.append('case when f' ~ j ~ '_' ~ i ~ ' = 1 then ' ~ aliases[i] ~ ' end') -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Long form of some columns of `source`: rows (i, v), one per source row and listed expression. -#}
{% macro pii_unpivot(source, indexes, exprs) -%}
    {{ return(adapter.dispatch('pii_unpivot', 'dango_monitors')(source, indexes, exprs)) }}
{%- endmacro %}
{% macro default__pii_unpivot(source, indexes, exprs) -%}
    select u.i, u.v from {{ source }} cross join lateral unnest(array[{{ indexes | join(', ') }}], array[{{ exprs | join(', ') }}]) as u(i, v)
{%- endmacro %}
{% macro duckdb__pii_unpivot(source, indexes, exprs) -%}
    select unnest([{{ indexes | join(', ') }}]) as i, unnest([{{ exprs | join(', ') }}]) as v from {{ source }}
{%- endmacro %}
{% macro postgres__pii_unpivot(source, indexes, exprs) -%}
    {#- Two `unnest`s in the select list run in step (PostgreSQL 10+) without the lateral function scan's per-row
        tuplestore: 0.13 s instead of 0.15 s for a 10,000-row x 20-column sample. -#}
    select unnest(array[{{ indexes | join(', ') }}]) as i, unnest(array[{{ exprs | join(', ') }}]) as v from {{ source }}
{%- endmacro %}

{#- The verdict query for one relation.
    relation: a dbt Relation (or quoted name); table_label: 'schema.table' as reported; columns: string column names;
    row_count: rows in the table (none for views); overrides: relation of dango_pii_overrides or none;
    skip_unhinted: false runs hint-only entities on every column too, with no value-based name check and no negative
    hints (the accuracy benchmark's model of Dango, which has neither). -#}
{% macro pii_verdict_sql(relation, table_label, columns, full=false, sample_rows=none, seed=none, row_count=none, overrides=none, skip_unhinted=true, layout=none) -%}
    {#- layout: 'long' (one expression per entity over (column, value) rows: planning stays flat with the width;
        the default for samples) or 'wide' (one expression per column and entity: validators run over vectors of
        one column, measured 2x faster on full scans of long tables; the default for full scans). Both give the
        same rows (tests/pii/test_postgres.py, on DuckDB and PostgreSQL). -#}
    {%- set layout = layout or ('wide' if full else 'long') -%}
    {%- set entities = dango_monitors.pii_entities() -%}
    {%- set sample_rows = sample_rows or dango_monitors.pii_setting('dango_pii_sample_rows') -%}
    {%- set seed = seed if seed is not none else dango_monitors.pii_setting('dango_pii_seed') -%}
    {%- set min_sample = dango_monitors.pii_setting('dango_pii_min_sample') -%}
    {%- set min_prev = dango_monitors.pii_setting('dango_pii_min_prevalence') -%}
    {%- set min_prev_hint = dango_monitors.pii_setting('dango_pii_min_prevalence_with_hint') -%}
    {%- set min_hits = dango_monitors.pii_setting('dango_pii_min_contains_hits') -%}
    {%- set min_contains = dango_monitors.pii_setting('dango_pii_min_contains_prevalence') -%}
    {%- set table_name = table_label.split('.')[-1] -%}
    {%- set select_list = [] -%}
    {%- set aliases = [] -%}
    {%- set hints = [] -%}
    {%- set negative = [] -%}
    {%- set ns = namespace(needs_names=false) -%}
    {%- for col in columns -%}
        {%- do negative.append(modules.re.search(dango_monitors.pii_negative_hint_re(), dango_monitors.pii_normal_name(col)) is not none) -%}
        {%- do select_list.append(dango_monitors.quote_ident(col) ~ ' as c' ~ loop.index0) -%}
        {%- do aliases.append('c' ~ loop.index0) -%}
        {%- set col_hints = [] -%}
        {%- for e in entities -%}{%- do col_hints.append(dango_monitors.pii_column_hint(e, col, table_name)) -%}{%- endfor -%}
        {%- do hints.append(col_hints) -%}
    {%- endfor -%}
    {#- The validator each (column, entity) runs: the value-based one where a hint is missing, narrowed by the
        entity's own separators in columns named like ids or versions. -#}
    {#- The value-based validator (full names) is deferred: the wide pass only marks shape matches, and one long
        pass over just those values (column index, value) runs it once per query, not once per column (a regex of
        thousands of given names compiled per column made planning grow with the width). -#}
    {%- set validators = [] -%}
    {%- set deferred = [] -%}
    {%- for col in columns %}{% set i = loop.index0 %}
        {%- set row = [] -%}
        {%- for e in entities %}{% set j = loop.index0 %}
            {%- set ns_v = e.validator -%}
            {%- if skip_unhinted and e.unhinted_validator and not hints[i][j] -%}
                {%- set ns_v = 'false' -%}{%- set ns.needs_names = true -%}
                {%- do deferred.append((i, j, e)) -%}
            {%- endif -%}
            {%- if skip_unhinted and e.negative_override and negative[i] and not hints[i][j] -%}
                {%- set ns_v = '(' ~ ns_v ~ ') and (' ~ e.negative_override ~ ')' -%}
            {%- endif -%}
            {%- do row.append(ns_v) -%}
        {%- endfor -%}
        {%- do validators.append(row) -%}
    {%- endfor -%}
with
{%- if ns.needs_names and dango_monitors.pii_first_names_needs_cte() %}
pii_first_names as {{ dango_monitors.pii_materialized() }} (
    {{ dango_monitors.pii_first_names_cte() }}
),
{%- endif %}
sampled as (
    {{ dango_monitors.pii_sample_from(relation, select_list | join(', '), full, sample_rows, seed, row_count) }}
),
{%- if layout == 'long' %}
col_info as (
    {#- Per column: its index, one column-name hint per entity, and whether its name says id / version / order. -#}
    select * from (values
    {%- for col in columns %}{% set i = loop.index0 %}
        ({{ i }}{% for e in entities %}, {{ 'true' if hints[i][loop.index0] else 'false' }}{% endfor %}, {{ 'true' if negative[i] else 'false' }}){{ ',' if not loop.last }}
    {%- endfor %}
    ) as ci(i{% for e in entities %}, h{{ loop.index0 }}{% endfor %}, neg)
),
long_values as (
    {{ dango_monitors.pii_unpivot('sampled', range(columns | length) | list, dango_monitors.pii_cast_varchar(aliases)) }}
),
lflags as (
    {#- Long: one (column index, value) row per sampled cell and one detector expression per entity, whatever the
        width, so the query's size and planning time do not grow with the columns (used for samples; see layout). -#}
    select l.i, l.v
    {%- for e in entities %}{% set j = loop.index0 %}
        {%- set validator = e.validator -%}
        {%- set prefilter = e.prefilter -%}
        {#- Without a hint, the value-based check and its prefilter, as the wide layout's deferred pass: the same
            values reach the pattern in both layouts, so both report the same shape matches. -#}
        {%- if skip_unhinted and e.unhinted_validator -%}
            {%- set validator = 'case when ci.h' ~ j ~ ' then ' ~ e.validator ~ ' else ' ~ e.unhinted_validator ~ ' end' -%}
            {%- set prefilter = 'case when ci.h' ~ j ~ ' then ' ~ e.prefilter ~ ' else ' ~ e.unhinted_prefilter ~ ' end' -%}
        {%- endif -%}
        {%- if skip_unhinted and e.negative_override %}{% set validator = '(' ~ validator ~ ') and (ci.h' ~ j ~ ' or not ci.neg or ' ~ e.negative_override ~ ')' %}{% endif %}
        , case when {% if skip_unhinted and e.hint_required %}ci.h{{ j }} and {% endif %}{{ dango_monitors.pii_render(prefilter, 'l.v') }} and {{ dango_monitors.pii_full_match('l.v', e.pattern) }}
               then case when {{ dango_monitors.pii_render(validator, 'l.v') }} then 2 else 1 end else 0 end as f{{ j }}
        {%- if e.contains_pattern %}
        , case when {{ dango_monitors.pii_render(e.contains_prefilter, 'l.v') }} and {{ dango_monitors.pii_contains_match('l.v', e.contains_pattern) }}
               then 1 else 0 end as k{{ j }}
        {%- endif %}
    {%- endfor %}
    from long_values l join col_info ci on ci.i = l.i{{ dango_monitors.pii_single_read_fence() }}
),
agg as (
    select 'c' || cast(i as varchar) as col, count(v) as non_null
    {%- for e in entities %}{% set j = loop.index0 %}
        , count(case when f{{ j }} >= 1 then 1 end) as s{{ j }}
        , count(case when f{{ j }} = 2 then 1 end) as v{{ j }}
        , min(case when f{{ j }} = 2 then v end) as x{{ j }}
        {%- if e.contains_pattern %}
        , count(case when k{{ j }} = 1 then 1 end) as h{{ j }}
        , min(case when k{{ j }} = 1 then v end) as y{{ j }}
        {%- endif %}
    {%- endfor %}
    from lflags
    group by i
),
{%- else %}
flags as {{ dango_monitors.pii_materialized_flags() if deferred }} (
    {#- Wide: one detector expression per (column, entity), each on its own column's values. DuckDB then runs a
        validator over vectors of one column whose values mostly match, not over a long (column, value) stream where
        one row in twenty does (measured 2x slower on a full scan). Entities that need a column-name hint (names,
        birth dates, addresses) are not run on columns without one: they could not be flagged there. -#}
    select
    {%- for a in aliases %}{% set i = loop.index0 %}
        {{ a }}
        {%- for e in entities %}{% set j = loop.index0 %}
        {%- if skip_unhinted and e.hint_required and not hints[i][j] %}
        , 0 as f{{ j }}_{{ i }}
        {%- elif skip_unhinted and e.unhinted_validator and not hints[i][j] %}
        , case when {{ dango_monitors.pii_render(e.unhinted_prefilter, a) }} then 1 else 0 end as f{{ j }}_{{ i }}
        {%- else %}
        , case when {{ dango_monitors.pii_render(e.prefilter, a) }} and {{ dango_monitors.pii_full_match(a, e.pattern) }}
               then case when {{ dango_monitors.pii_render(validators[i][j], a) }} then 2 else 1 end else 0 end as f{{ j }}_{{ i }}
        {%- endif %}
        {%- if e.contains_pattern %}
        , case when {{ dango_monitors.pii_render(e.contains_prefilter, a) }} and {{ dango_monitors.pii_contains_match(a, e.contains_pattern) }}
               then 1 else 0 end as k{{ j }}_{{ i }}
        {%- endif %}
        {%- endfor %}{{ ',' if not loop.last }}
    {%- endfor %}
    from sampled{{ dango_monitors.pii_single_read_fence() if not deferred }}
),
wide_agg as (
    {#- A deferred (column, entity) counts nothing here: deferred_agg counts its pattern matches and valid values. -#}
    select
    {%- for a in aliases %}{% set i = loop.index0 %}
        count({{ a }}) as n_{{ i }}
        {%- for e in entities %}{% set j = loop.index0 %}
        {%- if skip_unhinted and e.unhinted_validator and not hints[i][j] %}
        , 0 as s{{ j }}_{{ i }}, 0 as v{{ j }}_{{ i }}, cast(null as varchar) as x{{ j }}_{{ i }}
        {%- else %}
        , count(case when f{{ j }}_{{ i }} >= 1 then 1 end) as s{{ j }}_{{ i }}
        , count(case when f{{ j }}_{{ i }} = 2 then 1 end) as v{{ j }}_{{ i }}
        , min(case when f{{ j }}_{{ i }} = 2 then {{ a }} end) as x{{ j }}_{{ i }}
        {%- endif %}
        {%- if e.contains_pattern %}
        , count(case when k{{ j }}_{{ i }} = 1 then 1 end) as h{{ j }}_{{ i }}
        , min(case when k{{ j }}_{{ i }} = 1 then {{ a }} end) as y{{ j }}_{{ i }}
        {%- endif %}
        {%- endfor %}{{ ',' if not loop.last }}
    {%- endfor %}
    from flags
),
{%- if deferred %}
deferred_long as (
    {{ dango_monitors.pii_unpivot('flags', deferred | map(attribute=0) | list, dango_monitors.pii_deferred_values(deferred, aliases)) }}
),
deferred_agg as (
    {#- Per deferred column: its entity's pattern matches, those that pass the value-based validator, and the
        smallest of these as the example. -#}
    {%- set de = deferred[0][2] -%}
    select i, count(*) as ds, count(case when ok then 1 end) as dv, min(case when ok then v end) as dx
    from (
        select i, v, {{ dango_monitors.pii_render(de.unhinted_validator, 'v') }} as ok
        from deferred_long
        where v is not null and {{ dango_monitors.pii_full_match('v', de.pattern) }}{{ dango_monitors.pii_single_read_fence() }}
    ) as matched
    group by i
),
{%- endif %}
{#- Back to one row per column (the verdict below reads per-column rows): one select over the one-row wide_agg. A
    union of one select per column bound that 600-column row 20 times: most of the planning time on PostgreSQL,
    0.15 s of a 20-column query. -#}
{%- set agg_names = ['col', 'i', 'non_null'] -%}
{%- for e in entities %}{% set j = loop.index0 %}
    {%- do agg_names.extend(['s' ~ j, 'v' ~ j, 'x' ~ j]) -%}
    {%- if e.contains_pattern %}{% do agg_names.extend(['h' ~ j, 'y' ~ j]) %}{% endif -%}
{%- endfor -%}
{%- set agg_rows = [] -%}
{%- for a in aliases %}{% set i = loop.index0 %}
    {%- set row = ["'" ~ a ~ "'", i | string, 'n_' ~ i] -%}
    {%- for e in entities %}{% set j = loop.index0 %}
        {%- do row.extend(['s' ~ j ~ '_' ~ i, 'v' ~ j ~ '_' ~ i, 'cast(x' ~ j ~ '_' ~ i ~ ' as varchar)']) -%}
        {%- if e.contains_pattern %}{% do row.extend(['h' ~ j ~ '_' ~ i, 'cast(y' ~ j ~ '_' ~ i ~ ' as varchar)']) %}{% endif -%}
    {%- endfor -%}
    {%- do agg_rows.append(row) -%}
{%- endfor %}
{%- if deferred %}
{%- set dj = deferred[0][1] %}
wide_rows as (
    {{ dango_monitors.unpivot_rows_sql(agg_names, agg_rows, 'wide_agg') }}
),
agg as (
    {#- A deferred column's counts are zero in wide_rows and its example null: add deferred_agg's. -#}
    select w.col, w.non_null
        {%- for e in entities %}{% set j = loop.index0 %}
        {%- if j == dj %}, w.s{{ j }} + coalesce(d.ds, 0) as s{{ j }}, w.v{{ j }} + coalesce(d.dv, 0) as v{{ j }}, coalesce(w.x{{ j }}, d.dx) as x{{ j }}
        {%- else %}, w.s{{ j }}, w.v{{ j }}, w.x{{ j }}{% endif %}
        {%- if e.contains_pattern %}, w.h{{ j }}, w.y{{ j }}{% endif %}
        {%- endfor %}
    from wide_rows w left join deferred_agg d on d.i = w.i
),
{%- else %}
agg as (
    {{ dango_monitors.unpivot_rows_sql(agg_names, agg_rows, 'wide_agg') }}
),
{%- endif %}
{%- endif %}
scanned_columns as (
    {#- Every scanned column, with its name and one column-name hint per entity; absent from agg = only NULLs. -#}
    {%- for col in columns %}
    select '{{ aliases[loop.index0] }}' as col, {{ dango_monitors.pii_sql_string(col) }} as column_name
        {%- set i = loop.index0 %}
        {%- for e in entities %}, {{ 'true' if hints[i][loop.index0] else 'false' }} as hint{{ loop.index0 }}{% endfor %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),
joined as {{ dango_monitors.pii_materialized() }} (
    select c.*, a.non_null
        {%- for e in entities %}{% set j = loop.index0 %}, a.s{{ j }}, a.v{{ j }}, a.x{{ j }}{% if e.contains_pattern %}, a.h{{ j }}, a.y{{ j }}{% endif %}{% endfor %}
    from scanned_columns c left join agg a on a.col = c.col
),
stats as (
    {%- for e in entities %}{% set j = loop.index0 %}
    select column_name, {{ dango_monitors.pii_sql_string(e.name) }} as entity, 'full' as match_mode, hint{{ j }} as hint,
           {{ 'true' if e.hint_required else 'false' }} as hint_required, {{ e.min_valid_ratio }} as min_valid_ratio,
           coalesce(non_null, 0) as non_null, coalesce(s{{ j }}, 0) as shape_matches, coalesce(v{{ j }}, 0) as matches,
           {{ dango_monitors.pii_render(e.mask, 'x' ~ j) }} as example
    from joined
    {%- if e.contains_pattern %}
    union all
    select column_name, {{ dango_monitors.pii_sql_string(e.name) }}, 'contains', hint{{ j }}, false, 0.0,
           coalesce(non_null, 0), coalesce(h{{ j }}, 0), coalesce(h{{ j }}, 0),
           {{ dango_monitors.pii_render(e.mask, dango_monitors.pii_extract('y' ~ j, e.contains_pattern)) }}
    from joined
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
measured as (
    select
        *,
        case when non_null > 0 then cast(matches as double precision) / non_null else 0 end as prevalence,
        case when shape_matches > 0 then cast(matches as double precision) / shape_matches else 0 end as valid_ratio,
        case when non_null = 0 then 'no non-null values in the sample'
             when non_null < {{ min_sample }} then 'only ' || cast(non_null as varchar) || ' non-null values in the sample (minimum {{ min_sample }})'
        end as skip_reason
    from stats
),
judged as (
    select
        *,
        skip_reason is null and matches > 0 and match_mode = 'full' and (hint or not hint_required)
            and prevalence >= case when hint then {{ min_prev_hint }} else {{ min_prev }} end
            and valid_ratio >= min_valid_ratio as full_flagged
    from measured
),
verdicts as (
    select
        {{ dango_monitors.pii_sql_string(table_label) }} as table_name,
        column_name, entity, match_mode, non_null as sample_size, matches, prevalence, valid_ratio, hint,
        case when match_mode = 'full' then full_flagged
             else skip_reason is null and not bool_or(full_flagged) over (partition by column_name, entity)
                  and matches >= {{ min_hits }} and prevalence >= {{ min_contains }}
        end as flagged,
        least(0.99, 0.40
            + 0.45 * least(1.0, prevalence / case when match_mode = 'full' then 0.8 else 0.2 end)
            + case when hint then 0.10 else 0 end
            + 0.05 * least(1.0, non_null / 200.0)) as confidence,
        case when matches > 0 then example end as example,
        skip_reason
    from judged
)
select
    v.*,
    {%- if overrides is not none %}
    o.status as override_status,
    case when o.status = 'not_pii' then 'suppressed' when o.status = 'pii' then 'acknowledged' else 'detected' end as status
    {%- else %}
    cast(null as varchar) as override_status,
    'detected' as status
    {%- endif %}
from verdicts v
{%- if overrides is not none %}
left join (
    select lower(column_name) as column_name, max(status) as status
    from {{ overrides }}
    where lower(table_name) in ({{ dango_monitors.pii_sql_string(table_label | lower) }}, {{ dango_monitors.pii_sql_string(table_name | lower) }})
    group by 1
) o on o.column_name = lower(v.column_name)
{%- endif %}
{%- endmacro %}
