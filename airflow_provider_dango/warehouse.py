"""The project's DuckDB warehouse: one writer at a time, across every process on this machine.

DuckDB allows a single read-write process per file. Airflow runs tasks in parallel processes, so every dango task
takes an exclusive file lock (`<warehouse>.lock`) around its use of the file, and waits for it rather than failing.
The generated DAGs also put warehouse tasks in one Airflow pool, so the scheduler does not start them together.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

META_SCHEMA = "dango"
DEFAULT_LOCK_TIMEOUT_S = float(os.environ.get("DANGO_WAREHOUSE_LOCK_TIMEOUT", "1800"))


class WarehouseBusyError(TimeoutError):
    """Another process kept the warehouse for longer than the lock timeout."""


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (double quotes doubled), so odd or reserved names cannot break or inject SQL."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def warehouse_lock(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
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
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the warehouse, opened under the warehouse lock."""
    with warehouse_lock(path):
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
