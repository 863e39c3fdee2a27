"""The DuckDB backend: one writer at a time, across every process on this machine.

DuckDB allows a single read-write process per file. Airflow runs tasks in parallel processes, so every dango use of
the file takes an exclusive file lock (`<warehouse>.lock`) and waits for it rather than failing. The generated DAGs
also put warehouse tasks in one Airflow pool, so the scheduler does not start them together.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NAME = "duckdb"
PARAMSTYLE = "qmark"
LOCK_TIMEOUT_ENV = "DANGO_WAREHOUSE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = float(os.environ.get(LOCK_TIMEOUT_ENV, "1800"))
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


class WarehouseUnavailableError(RuntimeError):
    """The warehouse cannot be opened now; the message is one line that says why and by whom."""


class WarehouseBusyError(WarehouseUnavailableError, TimeoutError):
    """Another dango process kept the warehouse for longer than the lock timeout."""


class WarehouseInUseError(WarehouseUnavailableError):
    """A program outside dango (which does not take dango's lock) has the DuckDB file open."""


_FOREIGN = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def in_use_error(path: Path, exc: BaseException) -> WarehouseInUseError | None:
    """DuckDB's "Could not set lock on file" as one line naming the file and the holder; None for other errors."""
    text = str(exc)
    if "Could not set lock on file" not in text:
        return None
    found = _FOREIGN.search(text)
    who = f"{found['exe']} (pid {found['pid']})" if found else "another program"
    return WarehouseInUseError(
        f"warehouse {path} is held open by another program ({who}), which does not take dango's lock: "
        "close it there and run again"
    )


def check_not_held_elsewhere(path: Path) -> None:
    """Fail in one line when a foreign program has the file open (called with dango's lock held, so any holder is
    foreign): better now than as a raw lock error from deep inside dbt or dlt."""
    if not path.exists():
        return
    import duckdb

    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as exc:
        error = in_use_error(path, exc)
        if error is None:
            raise
        raise error from None
    except duckdb.Error:
        return  # e.g. this process has the file open with another configuration: not a foreign holder


# Locks this thread already holds, by lock file: a task that holds the warehouse for its whole run (a dbt task) may
# call code that takes the lock again, which must not wait on itself.
_held = threading.local()


def _held_counts() -> dict[str, int]:
    counts = getattr(_held, "counts", None)
    if counts is None:
        counts = _held.counts = {}
    return counts


@contextmanager
def file_lock(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S, check_file: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the duration; waits up to `timeout_s`, logging while it waits.

    Re-entrant within a thread: taking it again while this thread holds it returns at once. `check_file`: `path` is a
    DuckDB file; once the lock is ours, fail in one line if a foreign program has it open.
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
        if check_file:
            check_not_held_elsewhere(path)
        yield
    finally:
        release(handle)


def lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def acquire(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Any:
    """Take the lock, waiting up to `timeout_s` (one line naming the holder when it has to wait); returns the open
    lock file for `release`. The holder writes who it is (pid, start time, command) into the lock file."""
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
                raise WarehouseBusyError(
                    f"warehouse {path} stayed locked for {timeout_s:.0f} s by {holder(lock_path)}: gave up "
                    f"(raise airflow.warehouse_lock_timeout_s in .dango/project.yml or ${LOCK_TIMEOUT_ENV})"
                ) from None
            if waited_since is None:
                log.info("waiting for the warehouse lock on %s held by %s", path, holder(lock_path))
                waited_since = time.monotonic()
            time.sleep(0.1)
    if waited_since is not None:
        log.info("got the warehouse lock on %s after waiting %.1f s", path, time.monotonic() - waited_since)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {time.time():.3f} {_command()}\n")
    handle.flush()
    _held_counts()[str(lock_path)] = 1
    return handle


def _command() -> str:
    """What this process is, in a few words (`dango pii scan`, `airflow tasks run ...`)."""
    argv = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:3]]
    return " ".join(a.replace("\n", " ") for a in argv)[:80]


def holder(lock_path: Path) -> str:
    """Who holds the lock, as its holder wrote it: `dango pii scan (pid 123, since 4 s)`."""
    try:
        pid, started, command = lock_path.read_text(encoding="utf-8").strip().split(" ", 2)
        return f"{command} (pid {int(pid)}, since {max(time.time() - float(started), 0):.0f} s)"
    except (OSError, ValueError):
        return "another process"


def release(handle: Any) -> None:
    """Give the lock back: dbt's cached DuckDB connection is closed first, so the next holder can open the file."""
    try:
        close_dbt_duckdb()
    finally:
        _held_counts().pop(str(Path(handle.name)), None)
        handle.seek(0)
        handle.truncate()
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
    except duckdb.IOException as exc:
        error = in_use_error(path, exc)
        if error is None:
            raise
        raise error from None
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
