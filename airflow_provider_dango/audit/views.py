"""Reading the curated audit views (models of the dango_monitors dbt package) from Python: CLI and demo."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.audit.store import TABLES
from airflow_provider_dango.dbt import run_dbt
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, quote_ident

VIEWS = ("vw_run_summary", "vw_recent_failures", "vw_check_history_9d")
AUDIT_TAG = "dango_audit"


class ViewsNotBuiltError(LookupError):
    pass


def build_views(project: Any) -> None:
    """`dbt run --select tag:dango_audit`: (re)create the three views in the project's dbt target schema."""

    run_dbt(project, ["run", "--select", f"tag:{AUDIT_TAG}", "--quiet"])


def _locate(con: Any, view: str, target_schema: str | None = None) -> str:
    """The view's schema: the dbt target's own first (DuckDB's default `main` when the target names none)."""
    found = con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ? ORDER BY table_schema <> ?, 1",
        [view, target_schema or "main"],
    ).fetchall()
    if not found:
        raise ViewsNotBuiltError(f"view {view} is not in the warehouse yet: run `dango audit views --build`")
    return f"{quote_ident(found[0][0])}.{quote_ident(view)}"


def read_view(
    project: Any, view: str, where: str = "", params: list[Any] | None = None, limit: int = 20, order_by: str = ""
) -> list[dict[str, Any]]:
    """Rows of one audit view as dicts (`where` / `order_by` are fixed SQL fragments from this codebase only)."""
    if view not in VIEWS:
        raise ValueError(f"unknown audit view {view!r}; known: {', '.join(VIEWS)}")
    warehouse = for_project(project)
    with warehouse.connect(read_only=True) as con:
        name = _locate(con, view, warehouse.target.schema)
        sql = f"SELECT * FROM {name}" + (f" WHERE {where}" if where else "")
        sql += (f" ORDER BY {order_by}" if order_by else "") + f" LIMIT {int(limit)}"
        cur = con.execute(sql, params or [])
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def table_counts(project: Any) -> dict[str, int]:
    """Rows per dango_audit_* table (0 for a table that does not exist yet)."""

    counts = {}
    with for_project(project).connect(read_only=True) as con:
        existing = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [META_SCHEMA]
            ).fetchall()
        }
        for table in TABLES:
            counts[table] = (
                int(con.execute(f"SELECT count(*) FROM {quote_ident(META_SCHEMA)}.{quote_ident(table)}").fetchone()[0])
                if table in existing
                else 0
            )
    return counts
