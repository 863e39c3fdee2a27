"""The drift story of `dango demo`: breaking drift caught and dbt blocked, accepted, built again."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.commands.drift import print_report
from airflow_provider_dango.demo.runner import model_states, run_dag, task_states, xcom_value
from airflow_provider_dango.drift import accept, check, read_report
from airflow_provider_dango.operators.drift import DRIFT_TASK_ID
from airflow_provider_dango.warehouse import for_project, quote_ident

DEMO_TABLE = ("raw_shop", "orders", "customer_id")
DEMO_ORIGINAL_TYPE = "BIGINT"
DEMO_NARROW_TYPE = "INTEGER"


def _drift_result(dag_run: Any) -> dict[str, Any] | None:
    return xcom_value(dag_run, DRIFT_TASK_ID)


def _column_type(project: Any) -> str | None:
    """The demo column's type in upper case (PostgreSQL's information_schema spells types in lower case)."""
    schema, table_name, column = DEMO_TABLE
    rows = for_project(project).rows(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? AND column_name = ?",
        [schema, table_name, column],
    )
    return str(rows[0][0]).upper() if rows else None


# Views that read the table directly (PostgreSQL records them in pg_depend through their rewrite rule).
DEPENDENT_VIEWS_SQL = """SELECT DISTINCT vn.nspname, v.relname
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE d.classid = 'pg_rewrite'::regclass AND v.oid <> t.oid AND tn.nspname = ? AND t.relname = ?
ORDER BY 1, 2"""


def _set_type(project: Any, data_type: str) -> list[str]:
    """ALTER the demo column's type; returns the views dropped first. PostgreSQL refuses to retype a column a view
    reads, so there the dbt views on the table are dropped (CASCADE) and the next dbt run builds them again."""
    schema, table_name, column = DEMO_TABLE
    warehouse = for_project(project)
    dropped: list[str] = []
    if not warehouse.is_duckdb:
        for view_schema, view in warehouse.rows(DEPENDENT_VIEWS_SQL, [schema, table_name]):
            warehouse.execute(f"DROP VIEW IF EXISTS {quote_ident(view_schema)}.{quote_ident(view)} CASCADE")
            dropped.append(f"{view_schema}.{view}")
    warehouse.execute(
        f"ALTER TABLE {quote_ident(schema)}.{quote_ident(table_name)} "
        f"ALTER COLUMN {quote_ident(column)} TYPE {data_type}"
    )
    return dropped


def story(project: Any, dag: Any, dag_run: Any, out: Any) -> None:
    """Breaking drift caught and dbt blocked on a second run, accepted, built on a third; the warehouse is left
    as it was (the column widened back, which is additive), so `make demo` can run again."""
    if "shop" not in project.sources or _column_type(project) is None:
        return
    out.rule("Schema drift")
    first = _drift_result(dag_run)
    if first and first["baselined"]:
        out.print(f"First run: baselines stored silently for {', '.join(first['baselined'])}")
    if _column_type(project) != DEMO_ORIGINAL_TYPE:  # a previous demo stopped half-way: put things back first
        _set_type(project, DEMO_ORIGINAL_TYPE)
        accept(project, ["shop"])

    schema, table_name, column = DEMO_TABLE
    out.print(
        f"Someone narrows {schema}.{table_name}.{column} from {DEMO_ORIGINAL_TYPE} to {DEMO_NARROW_TYPE} "
        "(ALTER TABLE); the next sync still loads into it. Running the DAG again..."
    )
    dropped = _set_type(project, DEMO_NARROW_TYPE)
    if dropped:
        out.print(f"(PostgreSQL keeps views on that column, so it dropped {', '.join(dropped)} first; dbt rebuilds it)")
    second = run_dag(dag, "second DAG run: drift check, then dbt...")
    result = _drift_result(second) or {}
    if result.get("run_id"):
        print_report(read_report(project, result["run_id"]), out, synced=set(project.sources))
    models = model_states(second, task_states(second))
    skipped = _models(models, "skipped")
    built = _models(models, "success")
    out.print(f"dbt blocked downstream of shop: {len(skipped)} model(s) skipped ({', '.join(skipped)})")
    if built:
        out.print(f"dbt built (not downstream of a broken source): {', '.join(built)}")

    tables = accept(project, ["shop"])
    out.print(f"$ dango drift accept shop  -> accepted {', '.join(tables)}")

    # Widened back before the last run (not after it): the warehouse is left as it was, with every model built
    # (on PostgreSQL, the views dropped for an ALTER come back in this run).
    _set_type(project, DEMO_ORIGINAL_TYPE)
    widened = check(project, ["shop"])
    kinds = ", ".join(f"{c.table}.{c.column} {c.old_type} -> {c.new_type} ({c.severity})" for c in widened.changes)
    out.print(f"Widening it back is additive, so the baseline simply advances: {kinds or 'no change'}")
    third = run_dag(dag, "third DAG run after accept...")
    runs = model_states(third, task_states(third))
    ok = sum(v == "success" for v in runs.values())
    out.print(f"After accept: dbt built {ok}/{len(runs)} models, DAG run {third.state}")


def _models(models: dict[str, str], state: str) -> list[str]:
    """Models whose dbt work ended in `state`."""
    return sorted(name for name, value in models.items() if value == state)
