{#-
    Compare a baseline with the current columns and classify every difference.

    `baseline` and `current` are SQL relations (subqueries) with columns table_schema, table_name, column_name,
    ordinal_position, data_type, is_nullable ('YES' / 'NO'). `first_sight_by` decides when a table is new rather
    than added: 'schema' (the CLI and the DAG: a schema with no baseline at all is stored silently) or 'table'
    (the generic test on one relation). Returns rows:
      table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note
    change: baselined | table_added | table_removed | column_added | column_removed | type_changed |
            nullability_changed;  severity: info (baselined) | additive | breaking.
-#}
{% macro drift_changes_sql(baseline, current, first_sight_by='schema') -%}
with dango_type_rules as (
    {{ dango_monitors.drift_type_rules_sql() }}
),
b_all as (select * from {{ baseline }}),
c_all as (select * from {{ current }}),
b_tables as (select distinct table_schema, table_name from b_all),
c_tables as (select distinct table_schema, table_name from c_all),
{#- Most tables do not change: only those whose (column, type, nullability) rows differ go through the column-level
    comparison below. Unchanged tables cannot yield a column change, and table-level changes read the full sets. -#}
differing as (
    select distinct table_schema, table_name from (
        (select table_schema, table_name, column_name, data_type, is_nullable from b_all
         except
         select table_schema, table_name, column_name, data_type, is_nullable from c_all)
        union all
        (select table_schema, table_name, column_name, data_type, is_nullable from c_all
         except
         select table_schema, table_name, column_name, data_type, is_nullable from b_all)
    ) as diff
),
b_raw as (
    select x.* from b_all as x
    join differing as d on d.table_schema = x.table_schema and d.table_name = x.table_name
),
c_raw as (
    select x.* from c_all as x
    join differing as d on d.table_schema = x.table_schema and d.table_name = x.table_name
),
{{ dango_monitors.drift_normalize_ctes('b', 'b_raw') }},
{{ dango_monitors.drift_normalize_ctes('c', 'c_raw') }},
first_sight as (
    select ct.table_schema, ct.table_name from c_tables as ct
    where not exists (
        select 1 from b_tables as bt
        where bt.table_schema = ct.table_schema
        {%- if first_sight_by == 'table' %} and bt.table_name = ct.table_name{% endif %}
    )
),
tables_removed as (
    select bt.table_schema, bt.table_name from b_tables as bt
    where not exists (
        select 1 from c_tables as ct where ct.table_schema = bt.table_schema and ct.table_name = bt.table_name
    )
),
tables_added as (
    select ct.table_schema, ct.table_name from c_tables as ct
    where not exists (
        select 1 from b_tables as bt where bt.table_schema = ct.table_schema and bt.table_name = ct.table_name
    )
    and not exists (
        select 1 from first_sight as f where f.table_schema = ct.table_schema and f.table_name = ct.table_name
    )
),
{#- Keys by set difference (a hash operation whatever the planner's row estimates, which are poor for CTEs on
    PostgreSQL; a correlated anti-join there became a nested loop over every column pair). -#}
removed_keys as (
    select table_schema, table_name, column_name from b
    except
    select table_schema, table_name, column_name from c
),
added_keys as (
    select table_schema, table_name, column_name from c
    except
    select table_schema, table_name, column_name from b
),
cols_removed as (
    select b.*, row_number() over (
        partition by b.table_schema, b.table_name, b._canonical, b._p1, b._scale
        order by b.ordinal_position, b.column_name) as _pair
    from b
    join c_tables as ct on ct.table_schema = b.table_schema and ct.table_name = b.table_name
    join removed_keys as k
        on k.table_schema = b.table_schema and k.table_name = b.table_name and k.column_name = b.column_name
),
cols_added as (
    select c.*, row_number() over (
        partition by c.table_schema, c.table_name, c._canonical, c._p1, c._scale
        order by c.ordinal_position, c.column_name) as _pair
    from c
    join b_tables as bt on bt.table_schema = c.table_schema and bt.table_name = c.table_name
    join added_keys as k
        on k.table_schema = c.table_schema and k.table_name = c.table_name and k.column_name = c.column_name
),
both_cols as (
    select
        b.table_schema, b.table_name, b.column_name,
        b.data_type as old_type, c.data_type as new_type,
        b.is_nullable as old_nullable, c.is_nullable as new_nullable,
        {{ dango_monitors.drift_type_change_severity('b', 'c') }} as type_severity
    from b
    join c on c.table_schema = b.table_schema and c.table_name = b.table_name and c.column_name = b.column_name
),
changes as (
    select table_schema, table_name, cast(null as varchar) as column_name, 'baselined' as change, 'info' as severity,
        cast(null as varchar) as old_type, cast(null as varchar) as new_type, cast(null as varchar) as rename_of,
        'first sight: baseline stored' as note
    from first_sight
    union all
    select table_schema, table_name, null, 'table_removed', 'breaking', null, null, null, 'table no longer exists'
    from tables_removed
    union all
    select table_schema, table_name, null, 'table_added', 'additive', null, null, null, 'new table'
    from tables_added
    union all
    select r.table_schema, r.table_name, r.column_name, 'column_removed', 'breaking', r.data_type, null, null,
        case when a.column_name is not null
            then 'possible rename to ' || a.column_name else 'column no longer exists' end
    from cols_removed as r
    left join cols_added as a
        on a.table_schema = r.table_schema and a.table_name = r.table_name and a._canonical = r._canonical
        and coalesce(a._p1, -1) = coalesce(r._p1, -1) and coalesce(a._scale, -1) = coalesce(r._scale, -1)
        and a._pair = r._pair
    union all
    select a.table_schema, a.table_name, a.column_name, 'column_added', 'additive', null, a.data_type, r.column_name,
        case when r.column_name is not null
            then 'possible rename of ' || r.column_name else 'new column' end
    from cols_added as a
    left join cols_removed as r
        on a.table_schema = r.table_schema and a.table_name = r.table_name and a._canonical = r._canonical
        and coalesce(a._p1, -1) = coalesce(r._p1, -1) and coalesce(a._scale, -1) = coalesce(r._scale, -1)
        and a._pair = r._pair
    union all
    select table_schema, table_name, column_name, 'type_changed', type_severity, old_type, new_type, null,
        case when type_severity = 'additive' then 'widening'
             else 'narrowing or another type family' end
    from both_cols
    where type_severity <> 'same'
    union all
    select table_schema, table_name, column_name, 'nullability_changed', 'additive',
        case when old_nullable = 'YES' then 'NULL' else 'NOT NULL' end,
        case when new_nullable = 'YES' then 'NULL' else 'NOT NULL' end,
        null,
        case when new_nullable = 'YES' then 'nulls now allowed'
             else 'nulls now rejected: loads with nulls will fail' end
    from both_cols
    where old_nullable <> new_nullable
)
select * from changes
{%- endmacro %}
