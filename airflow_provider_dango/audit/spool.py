"""A local append-only spool (SQLite) that audit events go to first, so recording never waits for the warehouse.

On DuckDB the spool sits next to the warehouse (`<warehouse>.audit-spool.sqlite`). On a server warehouse it is a table
in the warehouse itself (`dango.dango_spool_audit`), so events recorded on a worker that is then replaced are not lost;
the local file is used there only while the server cannot be reached. Writers append one row per event (well under
a millisecond); `store.flush` moves rows into the warehouse's `dango_audit_*` tables when the warehouse lock is free
and deletes exactly the rows it wrote, so an event is retried until it lands and is never applied twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

KINDS = ("dag_run", "task_run", "dbt_result", "check_result")


def spool_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".audit-spool.sqlite")


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    # No fsync: the spool survives a crashed process (SQLite's guarantee), only an OS crash may lose its last
    # events; fsync would cost ~10 ms per event on this kind of disk, and the listener's budget is per task.
    con.execute("PRAGMA synchronous=OFF")
    con.execute(
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
        "payload TEXT NOT NULL, created REAL NOT NULL)"
    )
    return con


def append(warehouse: Path, kind: str, rows: list[dict[str, Any]]) -> int:
    """Append events of one kind; returns how many were written."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}; known: {', '.join(KINDS)}")
    if not rows:
        return 0
    now = time.time()
    con = _open(spool_path(warehouse))
    try:
        con.executemany(
            "INSERT INTO events (kind, payload, created) VALUES (?, ?, ?)",
            [(kind, json.dumps(r, default=str), now) for r in rows],
        )
    finally:
        con.close()
    return len(rows)


def pending(warehouse: Path, limit: int = 50_000) -> list[tuple[int, str, dict[str, Any]]]:
    """Spooled events, oldest first: (id, kind, row)."""
    path = spool_path(warehouse)
    if not path.exists():
        return []
    con = _open(path)
    try:
        rows = con.execute("SELECT id, kind, payload FROM events ORDER BY id LIMIT ?", [limit]).fetchall()
    finally:
        con.close()
    return [(i, k, json.loads(p)) for i, k, p in rows]


def delete(warehouse: Path, ids: list[int]) -> None:
    if not ids:
        return
    con = _open(spool_path(warehouse))
    try:
        con.execute("BEGIN")
        con.executemany("DELETE FROM events WHERE id = ?", [(i,) for i in ids])
        con.execute("COMMIT")
    finally:
        con.close()


def count(warehouse: Path) -> int:
    path = spool_path(warehouse)
    if not path.exists():
        return 0
    con = _open(path)
    try:
        return int(con.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        con.close()


# --- the spool on a server warehouse --------------------------------------------------------------------------------
SERVER_TABLE = "dango_spool_audit"
# The advisory lock every flush into a server warehouse holds, so two flushes apply events in their order.
FLUSH_LOCK_KEY = 0x64616E676F01


def append_to_warehouse(warehouse: Any, kind: str, rows: list[dict[str, Any]]) -> int:
    """Append events of one kind to the spool table of a server warehouse (created on first use)."""
    from airflow_provider_dango.warehouse import qualified

    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}; known: {', '.join(KINDS)}")
    if not rows:
        return 0
    now = time.time()
    values = [(kind, json.dumps(r, default=str), now) for r in rows]
    sql = f"INSERT INTO {qualified(SERVER_TABLE)} (kind, payload, created) VALUES (?, ?, ?)"
    with warehouse.connect() as con:
        try:
            con.executemany(sql, values)
        except Exception as exc:
            if type(exc).__name__ != "UndefinedTable":
                raise
            ensure_server_table(warehouse, con)
            con.executemany(sql, values)
    return len(rows)


def ensure_server_table(warehouse: Any, con: Any) -> None:
    """Create the spool table, one creator at a time (concurrent CREATE ... IF NOT EXISTS can collide)."""
    con.execute("BEGIN")
    try:
        con.execute("SELECT pg_advisory_xact_lock(?)", [FLUSH_LOCK_KEY])
        warehouse.ensure_table(SERVER_TABLE, con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def take_from_warehouse(con: Any) -> list[tuple[int, str, dict[str, Any]]]:
    """Delete and return every spooled event of a server warehouse, oldest first (inside the caller's transaction,
    so a rollback keeps them)."""
    from airflow_provider_dango.warehouse import qualified

    rows = con.execute(f"DELETE FROM {qualified(SERVER_TABLE)} RETURNING id, kind, payload").fetchall()
    return [(i, k, json.loads(p)) for i, k, p in sorted(rows)]
