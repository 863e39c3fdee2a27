{#-
    Generic test: fails with one row per breaking schema change of the tested source or model.

      compare_to: baseline (default) | declared
        baseline  compare with the accepted baseline in dango_schema_baselines. First sight stores it (passes);
                  additive changes advance it (passes); breaking changes keep it, so the test keeps failing until
                  `dbt run-operation dango_monitors.drift_accept --args '{relations: [[schema, table]]}'`
                  (or `dango drift accept <source>`).
        declared  compare with the columns (and their `data_type`, when given) declared in the YAML; stores nothing.

    sources:
      - name: shop
        tables:
          - name: orders
            data_tests: [dango_monitors.no_breaking_schema_drift]
-#}
{% test no_breaking_schema_drift(model, compare_to='baseline') %}
    {%- do dango_monitors.require_relation(model, 'no_breaking_schema_drift') -%}
    {{ return(dango_monitors.no_breaking_schema_drift_sql(model, compare_to)) }}
{% endtest %}

{% macro no_breaking_schema_drift_sql(model, compare_to='baseline') -%}
    {%- if compare_to not in ('baseline', 'declared') -%}
        {{ exceptions.raise_compiler_error("no_breaking_schema_drift: compare_to must be 'baseline' or 'declared', not '" ~ compare_to ~ "'") }}
    {%- endif -%}
    {%- set relations = [[model.schema, model.identifier]] -%}
    {%- if compare_to == 'declared' -%}
        {{ dango_monitors.drift_declared_failures_sql(model, relations) }}
    {%- else -%}
        {%- set run_id = 'test:' ~ invocation_id ~ ':' ~ model.schema ~ '.' ~ model.identifier -%}
        {%- if execute -%}
            {% do dango_monitors.drift_check(relations=relations, run_id=run_id, first_sight_by='table') %}
        {%- endif -%}
        select table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note
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
    select table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note
    from ({{ dango_monitors.drift_changes_sql(baseline, current_rel, 'table') }}) as classified
    where severity = 'breaking'
{%- endmacro %}
