"""The DuckDB backend: one writer at a time, across every process on this machine.

DuckDB allows a single read-write process per file. Airflow runs tasks in parallel processes, so every dango use of
the file takes an exclusive file lock (`<warehouse>.lock`) and waits for it rather than failing. The generated DAGs
also put warehouse tasks in one Airflow pool, so the scheduler does not start them together.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NAME = "duckdb"
PARAMSTYLE = "qmark"
DEFAULT_LOCK_TIMEOUT_S = float(os.environ.get("DANGO_WAREHOUSE_LOCK_TIMEOUT", "1800"))
TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "timestamptz": "TIMESTAMPTZ",
    "text[]": "VARCHAR[]",
    "serial": "BIGINT",
}
SERIALISE_WRITERS = True  # DuckDB: the generated DAGs put warehouse tasks in one pool


class WarehouseBusyError(TimeoutError):
    """Another process kept the warehouse for longer than the lock timeout."""


# Locks this thread already holds, by lock file: a task that holds the warehouse for its whole run (a dbt task) may
# call code that takes the lock again, which must not wait on itself.
_held = threading.local()


def _held_counts() -> dict[str, int]:
    counts = getattr(_held, "counts", None)
    if counts is None:
        counts = _held.counts = {}
    return counts


@contextmanager
def file_lock(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the duration; waits up to `timeout_s`, logging while it waits.

    Re-entrant within a thread: taking it again while this thread holds it returns at once.
    """
    key = str(lock_file(path))
    counts = _held_counts()
    if counts.get(key):
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
        return
    handle = acquire(path, timeout_s)
    try:
        yield
    finally:
        release(handle)


def lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def acquire(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Any:
    """Take the lock (waiting, with a log line when it has to); returns the open lock file for `release`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = lock_file(path)
    deadline = time.monotonic() + timeout_s
    handle = open(lock_path, "a+")  # noqa: SIM115 - closed by release()
    waited_since = None
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise WarehouseBusyError(f"warehouse {path} stayed locked for {timeout_s:.0f} s") from None
            if waited_since is None:
                log.info("Waiting for the warehouse %s: another task is using it", path)
                waited_since = time.monotonic()
            time.sleep(0.2)
    if waited_since is not None:
        log.info("Got the warehouse %s after waiting %.1f s", path, time.monotonic() - waited_since)
    _held_counts()[str(lock_path)] = 1
    return handle


def release(handle: Any) -> None:
    """Give the lock back: dbt's cached DuckDB connection is closed first, so the next holder can open the file."""
    try:
        close_dbt_duckdb()
    finally:
        _held_counts().pop(str(Path(handle.name)), None)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def close_dbt_duckdb() -> None:
    """dbt-duckdb caches its database handle for the whole process, so after an in-process dbt run the file would
    stay open after the lock is released and the next process to take the lock could not open it. Close it."""
    import sys

    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return  # dbt-duckdb never ran in this process
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        env = manager._ENV
        manager._ENV = None
    if env is not None:
        env.close()


@contextmanager
def open_connection(path: Path, read_only: bool = False) -> Iterator[Any]:
    """A DuckDB connection to `path` (the caller holds the lock)."""
    import duckdb  # not at import time: DAG files import the operators, which import this

    if read_only and not path.exists():
        read_only = False
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.ConnectionException:
        if not read_only:
            raise
        # This process already holds a read-write connection (dbt in-process): share its configuration.
        con = duckdb.connect(str(path))
    try:
        yield con
    finally:
        con.close()


def hours_since(timestamp_sql: str) -> str:
    """SQL: hours from a timestamp expression to now (UTC)."""
    return f"date_diff('minute', cast({timestamp_sql} as timestamp), cast(timezone('UTC', now()) as timestamp)) / 60.0"


def hours_since_epoch(seconds_sql: str) -> str:
    """SQL: hours from a Unix time in seconds (a number) to now."""
    return f"(epoch(now()) - {seconds_sql}) / 3600.0"


def dlt_destination(path: Path) -> Any:
    import dlt

    return dlt.destinations.duckdb(str(path))
