"""Audit trail: every DAG run, task try, dbt node result and dango check result as rows in the warehouse.

Public API (no Airflow import). Pillars do not call it directly: their `Result.audit_rows()` go through `steps.finish`.

    record_check_result(project, run_id, check, target, status, severity, details=None, dag_id=None) -> bool
    record_task_run(project, row) / record_dag_run(project, row) / record_dbt_results(project, rows)
    flush(project, wait_s=0.0) -> FlushResult

Every `record_*` appends to a spool first (a local file next to a DuckDB warehouse, about a millisecond; a table in a
server warehouse) and never raises on I/O problems: a failed
write is logged and the event is written to the warehouse by a later flush (end of the DAG run, `dango audit flush`,
or the next `record_check_result`). Rows are idempotent per key, see `store.TABLES`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow_provider_dango.audit import spool
from airflow_provider_dango.audit.severity import SEVERITIES
from airflow_provider_dango.audit.store import DEFAULT_RETENTION_DAYS
from airflow_provider_dango.audit.store import flush as _flush
from airflow_provider_dango.flushing import FlushResult
from airflow_provider_dango.warehouse import Warehouse, for_project

log = logging.getLogger(__name__)

CHECK_TYPES = ("drift", "pii", "monitor", "freshness", "dbt", "custom")
CHECK_STATUSES = ("pass", "fail", "flag", "warn", "error", "skipped")

__all__ = [
    "CHECK_STATUSES",
    "CHECK_TYPES",
    "FlushResult",
    "flush",
    "now_iso",
    "record_check_result",
    "record_dag_run",
    "record_dbt_results",
    "record_task_run",
]


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _warehouse(project: Any) -> Warehouse:
    """A DangoProject's warehouse, or a Warehouse, or a DuckDB file (for tools that only know the file)."""
    if isinstance(project, Warehouse):
        return project
    if hasattr(project, "settings"):
        return for_project(project)
    return Warehouse.from_duckdb_file(Path(project))


def _retention(project: Any) -> int:
    try:
        return int(project.settings.airflow.audit_retention_days)
    except AttributeError:
        return DEFAULT_RETENTION_DAYS


def _append(project: Any, kind: str, rows: list[dict[str, Any]]) -> bool:
    try:
        warehouse = _warehouse(project)
        if warehouse.path is None:  # a server: the spool is a table in it, shared by every worker
            try:
                spool.append_to_warehouse(warehouse, kind, rows)
                return True
            except Exception as exc:
                log.warning("dango audit: %s unreachable, spooling %d %s event(s) locally: %s",
                            warehouse.target.describe(), len(rows), kind, str(exc).strip().splitlines()[0])
        spool.append(warehouse.anchor, kind, rows)
        return True
    except Exception as exc:  # never fail the caller over its audit trail
        log.warning("dango audit: could not spool %d %s event(s): %s", len(rows), kind, exc)
        return False


def record_task_run(project: Any, row: Mapping[str, Any]) -> bool:
    """One task try's state (keys: dag_id, run_id, task_id, map_index, try_number, state, ... see store.TABLES)."""
    return _append(project, "task_run", [{"map_index": -1, **row, "recorded_at": now_iso()}])


def record_dag_run(project: Any, row: Mapping[str, Any]) -> bool:
    return _append(project, "dag_run", [{**row, "recorded_at": now_iso()}])


def record_dbt_results(project: Any, rows: list[dict[str, Any]]) -> bool:
    stamp = now_iso()
    return _append(project, "dbt_result", [{**r, "recorded_at": stamp} for r in rows])


def record_check_result(
    project: Any,
    run_id: str,
    check: str,
    target: str,
    status: str,
    severity: str = "info",
    details: Mapping[str, Any] | str | None = None,
    *,
    dag_id: str | None = None,
    flush_now: bool = True,
) -> bool:
    """Record one dango check verdict in `dango.dango_audit_check_results`.

    - `project`: the DangoProject (or the warehouse path).
    - `run_id`: the Airflow run id (`context["run_id"]`), or any id for a CLI run (e.g. `manual__<iso time>`).
    - `check`: `<type>` or `<type>:<name>`, type one of drift, pii, monitor, freshness, dbt, custom
      (e.g. `"drift"`, `"monitor:daily_revenue_total"`, `"freshness:shop"`).
    - `target`: what was checked, e.g. `raw_shop.orders` or `marts.daily_revenue.revenue`.
    - `status`: pass | fail | flag | warn | error | skipped (`flag` = a monitor anomaly, `fail` = a breaking finding).
    - `severity`: info | warn | error | critical (see `audit.severity`).
    - `details`: a small JSON-able dict (counts, masked evidence only: never raw PII).

    Idempotent per (run_id, check, target): recording again replaces the row. Returns False (and logs) when the
    event could not even be spooled; never raises for I/O. With `flush_now` (default) it then tries to write the
    spool to the warehouse without waiting; a busy warehouse (e.g. the caller holds the lock) leaves it spooled.
    """
    check_type = check.split(":", 1)[0]
    if check_type not in CHECK_TYPES:
        raise ValueError(f"check {check!r}: type must be one of {', '.join(CHECK_TYPES)}")
    if status not in CHECK_STATUSES:
        raise ValueError(f"check {check!r} on {target!r}: status {status!r} not in {', '.join(CHECK_STATUSES)}")
    if severity not in SEVERITIES:
        raise ValueError(f"check {check!r} on {target!r}: severity {severity!r} not in {', '.join(SEVERITIES)}")
    row = {
        "project": getattr(getattr(getattr(project, "settings", None), "project", None), "name", None),
        "dag_id": dag_id,
        "run_id": run_id,
        "check_type": check_type,
        "check_name": check,
        "target": target,
        "status": status,
        "severity": severity,
        "details": details if isinstance(details, str) or details is None else json.dumps(details, default=str),
        "recorded_at": now_iso(),
    }
    ok = _append(project, "check_result", [row])
    if ok and flush_now:
        flush(project)
    return ok


def flush(project: Any, wait_s: float = 0.0) -> FlushResult:
    """Write spooled events to the warehouse (see `store.flush`); never raises."""
    try:
        return _flush(_warehouse(project), retention_days=_retention(project), wait_s=wait_s)
    except Exception as exc:
        log.warning("dango audit: flush failed, events stay spooled: %s", exc)
        return FlushResult(error=str(exc))
