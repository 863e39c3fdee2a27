"""A local append-only spool (SQLite) that audit events go to first, so recording never waits for the warehouse.

The spool sits next to the warehouse (`<warehouse>.audit-spool.sqlite`). Writers append one row per event (well under
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
