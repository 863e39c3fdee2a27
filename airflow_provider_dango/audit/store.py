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
from typing import Any

from airflow_provider_dango.audit import spool
from airflow_provider_dango.flushing import FlushResult
from airflow_provider_dango.warehouse import META_SCHEMA, Warehouse, WarehouseBusyError, quote_ident
from airflow_provider_dango.warehouse import TABLES as REGISTRY

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30

# table -> (columns with logical types, key columns, timestamp column used for retention); from the warehouse registry.
TABLES: dict[str, tuple[list[tuple[str, str]], list[str], str]] = {
    name: (list(spec.columns), list(spec.key), spec.timestamp or "recorded_at")
    for name, spec in REGISTRY.items()
    if name.startswith("dango_audit_")
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


def ensure_tables(warehouse: Warehouse, con: Any) -> None:
    for table in TABLES:
        warehouse.ensure_table(table, con)


def _upsert_sql(warehouse: Warehouse, table: str) -> str:
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
    placeholders = ", ".join(f"CAST(? AS {warehouse.type_sql(t)})" for _, t in columns)
    return (
        f"INSERT INTO {qualified(table)} ({', '.join(quote_ident(n) for n in names)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(quote_ident(k) for k in key)}) DO UPDATE SET {', '.join(updates)}"
    )


def write_rows(warehouse: Warehouse, con: Any, kind: str, rows: list[dict[str, Any]]) -> None:
    """Upsert rows of one kind on an open warehouse connection (tables must exist)."""
    table = KIND_TABLE[kind]
    names = [c for c, _ in TABLES[table][0]]
    sql = _upsert_sql(warehouse, table)
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


def flush(warehouse: Warehouse, retention_days: int = DEFAULT_RETENTION_DAYS, wait_s: float = 0.0) -> FlushResult:
    """Move spooled events into the warehouse. Never raises: a busy or broken warehouse leaves them spooled.

    `wait_s=0` (the listener's choice) gives up at once when another task holds the warehouse lock, which also
    makes a flush from inside a task that holds the lock return instead of deadlocking.
    """
    anchor = warehouse.anchor
    events = spool.pending(anchor)
    if warehouse.path is None:
        return _flush_server(warehouse, events, retention_days)
    if not events:
        return FlushResult()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for _, kind, row in events:
        by_kind.setdefault(kind, []).append(row)
    try:
        with warehouse.connect(timeout_s=wait_s) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                ensure_tables(warehouse, con)
                for kind in spool.KINDS:
                    write_rows(warehouse, con, kind, by_kind.get(kind, []))
                purged = purge(con, retention_days)
            except Exception:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
    except WarehouseBusyError:
        return FlushResult(pending=len(events), busy=True)
    except Exception as exc:  # a broken warehouse must not break the observed task: keep the events, say why
        log.warning("dango audit: could not write %d events to %s (kept for later): %s", len(events), anchor, exc)
        return FlushResult(pending=len(events), error=f"{type(exc).__name__}: {exc}")
    spool.delete(anchor, [i for i, _, _ in events])
    return FlushResult(delivered=len(events), pending=spool.count(anchor), purged=sum(purged.values()))


def _flush_server(
    warehouse: Warehouse, local: list[tuple[int, str, dict[str, Any]]], retention_days: int
) -> FlushResult:
    """A server warehouse: the spool table's events (and any spooled locally while the server was unreachable) are
    written in one transaction, under an advisory lock so concurrent flushes apply events in order."""
    anchor = warehouse.anchor
    try:
        with warehouse.connect() as con:
            con.execute("BEGIN")
            try:
                con.execute("SELECT pg_advisory_xact_lock(?)", [spool.FLUSH_LOCK_KEY])
                ensure_tables(warehouse, con)
                warehouse.ensure_table(spool.SERVER_TABLE, con)
                events = local + spool.take_from_warehouse(con)
                events.sort(key=lambda e: str(e[2].get("recorded_at") or ""))  # stable: spool order within a stamp
                by_kind: dict[str, list[dict[str, Any]]] = {}
                for _, kind, row in events:
                    by_kind.setdefault(kind, []).append(row)
                for kind in spool.KINDS:
                    write_rows(warehouse, con, kind, by_kind.get(kind, []))
                purged = purge(con, retention_days)
            except Exception:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
    except Exception as exc:  # a broken warehouse must not break the observed task: keep the events, say why
        where = warehouse.target.describe()
        log.warning("dango audit: could not flush audit events into %s (kept for later): %s", where, exc)
        return FlushResult(pending=len(local), error=f"{type(exc).__name__}: {exc}")
    spool.delete(anchor, [i for i, _, _ in local])
    return FlushResult(delivered=len(events), pending=spool.count(anchor), purged=sum(purged.values()))
