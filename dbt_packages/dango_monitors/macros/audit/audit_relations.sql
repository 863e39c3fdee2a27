{#-
  Audit views read tables the Airflow provider writes (`dango_audit_*` and `load_stats` in the dango schema).
  They may not exist yet (a fresh project, a dbt-only user): `audit_relation` then stands in an empty, typed
  subquery, so the views always build. Column lists mirror airflow_provider_dango/audit/store.py (tests compare them).
  The schema is `var('dango_audit_schema')`, defaulting to `var('dango_schema')`.
-#}

{% macro audit_columns() %}
  {% set s = dbt.type_string() %}
  {% set ts = dbt.type_timestamp() %}
  {% set i = dbt.type_int() %}
  {% set b = dbt.type_bigint() %}
  {% set f = dbt.type_float() %}
  {{ return({
    'dango_audit_dag_runs': [
      ('project', s), ('dag_id', s), ('run_id', s), ('schedule', s), ('run_type', s), ('state', s),
      ('started_at', ts), ('ended_at', ts), ('duration_s', f), ('sources', s), ('message', s), ('run_url', s),
      ('recorded_at', ts)],
    'dango_audit_task_runs': [
      ('dag_id', s), ('run_id', s), ('task_id', s), ('map_index', i), ('try_number', i), ('state', s),
      ('operator', s), ('started_at', ts), ('ended_at', ts), ('duration_s', f), ('error_summary', s),
      ('recorded_at', ts)],
    'dango_audit_dbt_results': [
      ('dag_id', s), ('run_id', s), ('task_id', s), ('try_number', i), ('unique_id', s), ('node_name', s),
      ('resource_type', s), ('status', s), ('failures', b), ('message', s), ('execution_time_s', f), ('tags', s),
      ('severity', s), ('attached_to', s), ('recorded_at', ts)],
    'dango_audit_check_results': [
      ('project', s), ('dag_id', s), ('run_id', s), ('check_type', s), ('check_name', s), ('target', s),
      ('status', s), ('severity', s), ('details', s), ('recorded_at', ts)],
    'load_stats': [
      ('run_id', s), ('source', s), ('table_name', s), ('rows_loaded', b), ('loaded_at', ts)],
  }) }}
{% endmacro %}


{% macro audit_schema() %}
  {{ return(var('dango_audit_schema', var('dango_schema', 'dango'))) }}
{% endmacro %}


{#- With `var('dango_audit_fixtures')` true (the integration tests), the views read seeds named `fixture_<table>`
    through ref(), which also orders the seeds before the views in `dbt build`. -#}
{% macro audit_relation(name) %}
  {%- set columns = dango_monitors.audit_columns()[name] -%}
  {%- set relation = none -%}
  {%- if var('dango_audit_fixtures', false) -%}
    {%- set relation = ref('fixture_' ~ name) -%}
  {%- elif execute -%}
    {#- Looked up and written with dango's own quoting: the audit schema may have any name. -#}
    {%- set candidate = api.Relation.create(database=target.database, schema=dango_monitors.audit_schema(),
                                            identifier=name) -%}
    {%- if dango_monitors.relation_exists(candidate) -%}
      {%- set relation = dango_monitors.quote_ident(dango_monitors.audit_schema()) ~ '.' ~ dango_monitors.quote_ident(name) -%}
    {%- endif -%}
  {%- endif -%}
  {%- if relation is not none and (execute or var('dango_audit_fixtures', false)) -%}
    (select {% for c, t in columns %}{{ dango_monitors.quote_ident(c) }}{% if not loop.last %}, {% endif %}{% endfor %}
     from {{ relation }})
  {%- else -%}
    (select {% for c, t in columns %}cast(null as {{ t }}) as {{ dango_monitors.quote_ident(c) }}{% if not loop.last %}, {% endif %}{% endfor %}
     where 1 = 0)
  {%- endif -%}
{% endmacro %}


{#- "Now" for the windows of the audit views; `var('dango_audit_now')` pins it (fixtures, replays). -#}
{% macro audit_now() %}
  {%- set pinned = var('dango_audit_now', none) -%}
  {%- if pinned -%}
    cast('{{ pinned }}' as {{ dbt.type_timestamp() }})
  {%- else -%}
    {{ dbt.current_timestamp() }}
  {%- endif -%}
{% endmacro %}


{#- A status that needs a look: dbt `fail` / `error` / `warn`, dango `fail` / `flag` / `warn` / `error`. -#}
{% macro audit_is_problem(status) -%}
  ({{ status }} in ('fail', 'error', 'warn', 'flag', 'runtime error'))
{%- endmacro %}
