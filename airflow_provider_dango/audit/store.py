"""The `dango_audit_*` tables in the warehouse (schema `dango`) and the flush from the spool into them.

Tables (one row per key; later events for the same key update that row, nothing is ever duplicated):

| table                     | key                                            | written by                    |
|---------------------------|------------------------------------------------|-------------------------------|
| dango_audit_dag_runs      | dag_id, run_id                                 | listener (DAG run end)        |
| dango_audit_task_runs     | dag_id, run_id, task_id, map_index, try_number | listener (task start / end)   |
| dango_audit_dbt_results   | dag_id, run_id, task_id, try_number, unique_id | Cosmos callback (run_results) |
| dango_audit_check_results | run_id, check_name, target                     | `record_check_result`         |

The column lists here are the contract the dbt package's audit views read (`macros/audit/audit_columns.sql` holds
the same list for the empty fallback; tests/audit checks they agree).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_dango.audit import spool
from airflow_provider_dango.warehouse import META_SCHEMA, WarehouseBusyError, quote_ident, warehouse_lock

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30

# table -> (columns with types, key columns, timestamp column used for retention)
TABLES: dict[str, tuple[list[tuple[str, str]], list[str], str]] = {
    "dango_audit_dag_runs": (
        [
            ("project", "VARCHAR"),
            ("dag_id", "VARCHAR"),
            ("run_id", "VARCHAR"),
            ("schedule", "VARCHAR"),
            ("run_type", "VARCHAR"),
            ("state", "VARCHAR"),
            ("started_at", "TIMESTAMPTZ"),
            ("ended_at", "TIMESTAMPTZ"),
            ("duration_s", "DOUBLE"),
            ("sources", "VARCHAR"),
            ("message", "VARCHAR"),
            ("run_url", "VARCHAR"),
            ("recorded_at", "TIMESTAMPTZ"),
        ],
        ["dag_id", "run_id"],
        "recorded_at",
    ),
    "dango_audit_task_runs": (
        [
            ("dag_id", "VARCHAR"),
            ("run_id", "VARCHAR"),
            ("task_id", "VARCHAR"),
            ("map_index", "INTEGER"),
            ("try_number", "INTEGER"),
            ("state", "VARCHAR"),
            ("operator", "VARCHAR"),
            ("started_at", "TIMESTAMPTZ"),
            ("ended_at", "TIMESTAMPTZ"),
            ("duration_s", "DOUBLE"),
            ("error_summary", "VARCHAR"),
            ("recorded_at", "TIMESTAMPTZ"),
        ],
        ["dag_id", "run_id", "task_id", "map_index", "try_number"],
        "recorded_at",
    ),
    "dango_audit_dbt_results": (
        [
            ("dag_id", "VARCHAR"),
            ("run_id", "VARCHAR"),
            ("task_id", "VARCHAR"),
            ("try_number", "INTEGER"),
            ("unique_id", "VARCHAR"),
            ("node_name", "VARCHAR"),
            ("resource_type", "VARCHAR"),
            ("status", "VARCHAR"),
            ("failures", "BIGINT"),
            ("message", "VARCHAR"),
            ("execution_time_s", "DOUBLE"),
            ("tags", "VARCHAR"),
            ("severity", "VARCHAR"),
            ("attached_to", "VARCHAR"),
            ("recorded_at", "TIMESTAMPTZ"),
        ],
        ["dag_id", "run_id", "task_id", "try_number", "unique_id"],
        "recorded_at",
    ),
    "dango_audit_check_results": (
        [
            ("project", "VARCHAR"),
            ("dag_id", "VARCHAR"),
            ("run_id", "VARCHAR"),
            ("check_type", "VARCHAR"),
            ("check_name", "VARCHAR"),
            ("target", "VARCHAR"),
            ("status", "VARCHAR"),
            ("severity", "VARCHAR"),
            ("details", "VARCHAR"),
            ("recorded_at", "TIMESTAMPTZ"),
        ],
        ["run_id", "check_name", "target"],
        "recorded_at",
    ),
}
KIND_TABLE = {
    "dag_run": "dango_audit_dag_runs",
    "task_run": "dango_audit_task_runs",
    "dbt_result": "dango_audit_dbt_results",
    "check_result": "dango_audit_check_results",
}
# Columns a later event may only fill in, never blank out (a `running` event never overwrites a final state).
_KEEP_IF_NULL = {"started_at", "ended_at", "duration_s", "error_summary", "operator", "message", "sources", "schedule"}


def qualified(table: str) -> str:
    return f"{quote_ident(META_SCHEMA)}.{quote_ident(table)}"


def ensure_tables(con: Any) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(META_SCHEMA)}")
    for table, (columns, key, _) in TABLES.items():
        cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({cols}, "
            f"PRIMARY KEY ({', '.join(quote_ident(k) for k in key)}))"
        )


def _upsert_sql(table: str) -> str:
    columns, key, _ = TABLES[table]
    names = [c for c, _ in columns]
    updates = []
    for name in names:
        if name in key:
            continue
        q = quote_ident(name)
        if name == "state":
            current = f"{qualified(table)}.{q}"
            updates.append(f"{q} = CASE WHEN excluded.{q} = 'running' THEN {current} ELSE excluded.{q} END")
        elif name in _KEEP_IF_NULL:
            updates.append(f"{q} = coalesce(excluded.{q}, {qualified(table)}.{q})")
        else:
            updates.append(f"{q} = excluded.{q}")
    placeholders = ", ".join(f"CAST(? AS {t})" for _, t in columns)
    return (
        f"INSERT INTO {qualified(table)} ({', '.join(quote_ident(n) for n in names)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(quote_ident(k) for k in key)}) DO UPDATE SET {', '.join(updates)}"
    )


def write_rows(con: Any, kind: str, rows: list[dict[str, Any]]) -> None:
    """Upsert rows of one kind on an open warehouse connection (tables must exist)."""
    table = KIND_TABLE[kind]
    names = [c for c, _ in TABLES[table][0]]
    sql = _upsert_sql(table)
    for row in rows:
        con.execute(sql, [row.get(n) for n in names])


def purge(con: Any, retention_days: int) -> dict[str, int]:
    """Delete audit rows older than `retention_days` (0 or less keeps everything)."""
    deleted: dict[str, int] = {}
    if retention_days <= 0:
        return deleted
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=retention_days)
    for table, (_, _, ts) in TABLES.items():
        n = con.execute(f"DELETE FROM {qualified(table)} WHERE {quote_ident(ts)} < ?", [cutoff]).fetchone()
        deleted[table] = int(n[0]) if n else 0
    return deleted


@dataclass
class FlushResult:
    written: int = 0
    pending: int = 0
    busy: bool = False
    error: str | None = None
    purged: int = 0


def flush(warehouse: Path, retention_days: int = DEFAULT_RETENTION_DAYS, wait_s: float = 0.0) -> FlushResult:
    """Move spooled events into the warehouse. Never raises: a busy or broken warehouse leaves them spooled.

    `wait_s=0` (the listener's choice) gives up at once when another task holds the warehouse lock, which also
    makes a flush from inside a task that holds the lock return instead of deadlocking.
    """
    import duckdb

    events = spool.pending(warehouse)
    if not events:
        return FlushResult()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for _, kind, row in events:
        by_kind.setdefault(kind, []).append(row)
    try:
        with warehouse_lock(warehouse, timeout_s=wait_s):
            con = duckdb.connect(str(warehouse))
            try:
                con.execute("BEGIN TRANSACTION")
                ensure_tables(con)
                for kind in spool.KINDS:
                    write_rows(con, kind, by_kind.get(kind, []))
                purged = purge(con, retention_days)
                con.execute("COMMIT")
            finally:
                con.close()
    except WarehouseBusyError:
        return FlushResult(pending=len(events), busy=True)
    except Exception as exc:  # a broken warehouse must not break the observed task: keep the events, say why
        log.warning("dango audit: could not write %d events to %s (kept for later): %s", len(events), warehouse, exc)
        return FlushResult(pending=len(events), error=f"{type(exc).__name__}: {exc}")
    spool.delete(warehouse, [i for i, _, _ in events])
    return FlushResult(written=len(events), pending=spool.count(warehouse), purged=sum(purged.values()))
