{#-
    Generic test: fails with one row per breaking schema change of the tested source or model. Each failing row names
    the table, the column, the change and a human `reason`.

      compare_to: baseline | declared | committed   (default: var('dango_drift_compare_to', 'baseline'))
        baseline   compare with the accepted baseline in dango_schema_baselines, in the warehouse. First sight stores
                   it (passes); additive changes advance it (passes); breaking changes keep it, so the test keeps
                   failing until `dbt run-operation dango_monitors.drift_accept --args '{relations: [[schema, table]]}'`
                   (or `dango drift accept <source>`). Needs a warehouse that persists between runs.
        declared   compare with the columns (and their `data_type`, when given) declared in the YAML; stores nothing.
        committed  compare with the baseline committed to the repository (`dango drift baseline export` writes the
                   seed `dango_drift_baseline`; `dbt build` loads it before this test). Stores nothing, so a fresh CI
                   database fails on drift. A table that is not in the committed baseline fails too (export again).
      baseline_seed: the seed holding the committed baseline (default `dango_drift_baseline`).

    sources:
      - name: shop
        tables:
          - name: orders
            data_tests: [dango_monitors.no_breaking_schema_drift]
-#}
{% test no_breaking_schema_drift(model, compare_to=none, baseline_seed='dango_drift_baseline') %}
    {%- set compare_to = compare_to or var('dango_drift_compare_to', 'baseline') -%}
    {#- The committed baseline is a seed: ref() it while dbt parses the test, so `dbt build` seeds it first. -#}
    {%- set seed = ref(baseline_seed) if compare_to == 'committed' else none -%}
    {%- do dango_monitors.require_relation(model, 'no_breaking_schema_drift') -%}
    {{ return(dango_monitors.no_breaking_schema_drift_sql(model, compare_to, seed)) }}
{% endtest %}

{% macro no_breaking_schema_drift_sql(model, compare_to='baseline', seed=none) -%}
    {%- if compare_to not in ('baseline', 'declared', 'committed') -%}
        {{ exceptions.raise_compiler_error("no_breaking_schema_drift: compare_to must be 'baseline', 'declared' or 'committed', not '" ~ compare_to ~ "'") }}
    {%- endif -%}
    {%- set relations = [[model.schema, model.identifier]] -%}
    {%- if compare_to == 'declared' -%}
        {{ dango_monitors.drift_declared_failures_sql(model, relations) }}
    {%- elif compare_to == 'committed' -%}
        {{ dango_monitors.drift_committed_failures_sql(model, relations, seed) }}
    {%- else -%}
        {%- set run_id = 'test:' ~ invocation_id ~ ':' ~ model.schema ~ '.' ~ model.identifier -%}
        {%- if execute -%}
            {% do dango_monitors.drift_check(relations=relations, run_id=run_id, first_sight_by='table', summary=false) %}
        {%- endif -%}
        select table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note,
               {{ dango_monitors.drift_reason_sql() }} as reason
        from {{ dango_monitors.drift_relation('dango_schema_changes') }}
        where run_id = {{ dango_monitors.drift_literal(run_id) }} and severity = 'breaking'
    {%- endif -%}
{%- endmacro %}

{#- The YAML columns of the node the test is attached to, as a baseline relation. -#}
{% macro drift_declared_columns(model) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {#- context['model'] is the test node itself (the `model` argument is the tested relation). -#}
    {%- set parents = context['model'].depends_on.nodes -%}
    {%- for parent_id in parents -%}
        {%- set parent = graph.sources.get(parent_id) or graph.nodes.get(parent_id) -%}
        {%- if parent and parent.columns -%}
            {{ return(parent.columns.values() | list) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return([]) }}
{%- endmacro %}

{% macro drift_declared_failures_sql(model, relations) -%}
    {%- set declared = dango_monitors.drift_declared_columns(model) -%}
    {%- set rows = [] -%}
    {%- for col in declared -%}
        {%- do rows.append('select ' ~ dango_monitors.drift_literal(model.schema) ~ ' as table_schema, '
            ~ dango_monitors.drift_literal(model.identifier) ~ ' as table_name, '
            ~ dango_monitors.drift_literal(col.name) ~ ' as column_name, ' ~ loop.index ~ ' as ordinal_position, '
            ~ (dango_monitors.drift_literal(col.data_type) if col.data_type else 'cast(null as varchar)') ~ ' as data_type, '
            ~ "'YES' as is_nullable") -%}
    {%- endfor -%}
    {%- if rows | length == 0 -%}
        {%- do rows.append("select cast(null as varchar) as table_schema, cast(null as varchar) as table_name, "
            ~ "cast(null as varchar) as column_name, 0 as ordinal_position, cast(null as varchar) as data_type, "
            ~ "'YES' as is_nullable where 1 = 0") -%}
    {%- endif -%}
    {#- Only declared columns are compared, and a column declared without data_type takes the actual type. -#}
    {%- set current = dango_monitors.drift_columns_sql(none, relations) -%}
    {%- set baseline -%}
        (select d.table_schema, d.table_name, d.column_name, d.ordinal_position,
                coalesce(d.data_type, cur.data_type, 'UNKNOWN') as data_type,
                coalesce(cur.is_nullable, 'YES') as is_nullable
         from ({{ rows | join(' union all ') }}) as d
         left join ({{ current }}) as cur on cur.column_name = d.column_name) as declared_cols
    {%- endset -%}
    {%- set current_rel = '(' ~ current ~ ') as current_cols' -%}
    select table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note,
           {{ dango_monitors.drift_reason_sql() }} as reason
    from ({{ dango_monitors.drift_changes_sql(baseline, current_rel, 'table') }}) as classified
    where severity = 'breaking'
{%- endmacro %}

{#- The committed baseline (the seed `dango_drift_baseline`, columns as in dango_schema_baselines) for one relation.
    Rows match on schema and table; when the schema differs (a CI or developer target schema), on the table name
    alone if exactly one schema of the baseline has it. A relation the seed does not list fails with one row: a
    silent first sight would keep CI green forever. -#}
{% macro drift_committed_failures_sql(model, relations, seed) -%}
    {%- set schema = dango_monitors.drift_literal(model.schema) -%}
    {%- set table = dango_monitors.drift_literal(model.identifier) -%}
    {%- set matched_schema -%}
        case
            when exists (select 1 from {{ seed }} where table_name = {{ table }} and table_schema = {{ schema }})
                then {{ schema }}
            when (select count(distinct table_schema) from {{ seed }} where table_name = {{ table }}) = 1
                then (select min(table_schema) from {{ seed }} where table_name = {{ table }})
        end
    {%- endset -%}
    {%- set this_table -%}
        table_name = {{ table }} and table_schema = ({{ matched_schema }})
    {%- endset -%}
    {%- set baseline -%}
        (select cast({{ schema }} as varchar) as table_schema, cast(table_name as varchar) as table_name,
                cast(column_name as varchar) as column_name, cast(ordinal_position as integer) as ordinal_position,
                cast(data_type as varchar) as data_type, cast(is_nullable as varchar) as is_nullable
         from {{ seed }} where {{ this_table }}) as committed_cols
    {%- endset -%}
    {%- set current_rel = '(' ~ dango_monitors.drift_columns_sql(none, relations) ~ ') as current_cols' -%}
    with failures as (
        select table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note
        from ({{ dango_monitors.drift_changes_sql(baseline, current_rel, 'table') }}) as classified
        where severity = 'breaking'
        union all
        select {{ schema }}, {{ table }}, cast(null as varchar), 'not_in_baseline', 'breaking', cast(null as varchar),
               cast(null as varchar), cast(null as varchar),
               {{ dango_monitors.drift_literal('not in the committed baseline ' ~ seed.identifier
                   ~ ' (or in several of its schemas): run `dango drift baseline export` and commit it') }}
        where not exists (select 1 from {{ seed }} where {{ this_table }})
    )
    select failures.*, {{ dango_monitors.drift_reason_sql() }} as reason from failures
{%- endmacro %}

{#- One sentence per failing row: `schema.table.column: change (old -> new): note`. -#}
{% macro drift_reason_sql() -%}
    table_schema || '.' || table_name || coalesce('.' || column_name, '') || ': ' || change
    || case when old_type is null and new_type is null then ''
            else ' (' || coalesce(old_type, '-') || ' -> ' || coalesce(new_type, '-') || ')' end
    || coalesce(', possibly renamed from ' || rename_of, '')
    || coalesce(': ' || nullif(note, ''), '')
{%- endmacro %}
