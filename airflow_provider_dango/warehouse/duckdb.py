"""The DuckDB backend: one writer at a time, across every process on this machine.

DuckDB allows a single read-write process per file. Airflow runs tasks in parallel processes, so every dango use of
the file takes an exclusive file lock (`<warehouse>.lock`) and waits for it rather than failing. The generated DAGs
also put warehouse tasks in one Airflow pool, so the scheduler does not start them together.
"""

from __future__ import annotations

import fcntl
import logging
import os
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
}
SERIALISE_WRITERS = True  # DuckDB: the generated DAGs put warehouse tasks in one pool


class WarehouseBusyError(TimeoutError):
    """Another process kept the warehouse for longer than the lock timeout."""


@contextmanager
def file_lock(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the duration; waits up to `timeout_s`, logging while it waits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + timeout_s
    with open(lock_path, "a+") as handle:
        waited = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(f"warehouse {path} stayed locked for {timeout_s:.0f} s") from None
                if not waited:
                    log.info("Waiting for the warehouse %s: another task is using it", path)
                    waited = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


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


def dlt_destination(path: Path) -> Any:
    import dlt

    return dlt.destinations.duckdb(str(path))
