{#- Generic test: fails with one row per (column, entity) holding PII that is not allowed.
    Allowed: the column's `meta: {pii: true}` (any entity) or `meta: {pii: [EMAIL_ADDRESS, ...]}` in YAML, the test's
    `allow` argument ({column: true | [entities]}), or a `pii` status in `.dango/pii-overrides.yml` (written to
    <dango_schema>.dango_pii_overrides by every `dango pii scan`); a `not_pii` override suppresses the column.

      models:
        - name: customers
          data_tests: [dango_monitors.no_unexpected_pii]
          columns:
            - name: email
              meta: {pii: [EMAIL_ADDRESS]}
-#}
{% test no_unexpected_pii(model, allow=none, full=false, sample_rows=none) %}
    {%- do dango_monitors.require_relation(model, 'no_unexpected_pii') -%}
    {{ return(adapter.dispatch('test_no_unexpected_pii', 'dango_monitors')(model, allow, full, sample_rows)) }}
{% endtest %}

{% macro pii_meta_allowance(meta) -%}
    {#- true = every entity, a list = those entities, none = nothing. -#}
    {%- set value = (meta or {}).get('pii') -%}
    {%- if value is none or value is false -%}{{ return(none) }}
    {%- elif value is true -%}{{ return(true) }}
    {%- elif value is string -%}{{ return([value | upper]) }}
    {%- else -%}{{ return(value | map('upper') | list) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__test_no_unexpected_pii(model, allow, full, sample_rows) %}
    {%- if not execute -%}
        select 1 as placeholder where 1 = 0
    {%- else -%}
    {%- if adapter.get_relation(database=model.database, schema=model.schema, identifier=model.identifier) is none -%}
        {{ exceptions.raise_compiler_error("dango_monitors.no_unexpected_pii: relation " ~ model ~ " does not exist (build it first, or fix the test's model)") }}
    {%- endif -%}
    {%- set allowed = {} -%}
    {%- set nodes = (graph.nodes.values() | list) + (graph.sources.values() | list) -%}
    {%- for node in nodes -%}
        {%- set ident = node.get('alias') or node.get('identifier') or node.get('name') -%}
        {%- if ident and ident | lower == model.identifier | lower and (node.get('schema') or '') | lower == model.schema | lower -%}
            {%- for cname, c in node.get('columns', {}).items() -%}
                {%- set meta = c.get('meta') or (c.get('config') or {}).get('meta') or {} -%}
                {%- set a = dango_monitors.pii_meta_allowance(meta) -%}
                {%- if a is not none %}{% do allowed.update({cname | lower: a}) %}{% endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for cname, a in (allow or {}).items() -%}
        {%- do allowed.update({cname | lower: (true if a is true else (a | map('upper') | list))}) -%}
    {%- endfor -%}
    {%- set columns = [] -%}
    {%- for c in adapter.get_columns_in_relation(model) -%}
        {%- if c.is_string() and not c.name.startswith('_dlt_') %}{% do columns.append(c.name) %}{% endif -%}
    {%- endfor -%}
    {%- set overrides_rel = adapter.get_relation(database=model.database, schema=dango_monitors.dango_schema(), identifier='dango_pii_overrides') -%}
    {%- set overrides = dango_monitors.dango_relation('dango_pii_overrides') if overrides_rel is not none else none -%}
    {%- if not columns -%}
        select 1 as placeholder where 1 = 0
    {%- else -%}
    select table_name, column_name, entity, match_mode, prevalence, confidence, sample_size, example,
        column_name || ' holds ' || entity || (case when match_mode = 'contains' then ' inside text' else '' end)
            || ' in ' || cast(cast(floor(prevalence * 100 + 0.5) as integer) as varchar) || '% of '
            || cast(sample_size as varchar) || ' sampled values (e.g. ' || coalesce(example, '?')
            || '); declare it with meta: {pii: [' || entity || ']} on the column, or remove it' as reason
    from (
        {%- set rows = dango_monitors.pii_sample_rows_for(columns | length, sample_rows) %}
        {%- for batch in dango_monitors.pii_column_batches(columns) %}
        select * from (
        {{ dango_monitors.pii_verdict_sql(model, model.schema ~ '.' ~ model.identifier, batch, full=full,
                                          sample_rows=rows, overrides=overrides) }}
        ) as batch_{{ loop.index }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    ) verdicts
    where flagged and status = 'detected'
    {%- for cname, a in allowed.items() %}
      and not (lower(column_name) = {{ dango_monitors.pii_sql_string(cname) }}
               {%- if a is not true %} and entity in ({% for e in a %}{{ dango_monitors.pii_sql_string(e) }}{{ ', ' if not loop.last }}{% endfor %}){% endif %})
    {%- endfor %}
    {%- endif -%}
    {%- endif -%}
{% endmacro %}
