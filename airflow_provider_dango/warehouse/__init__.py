"""The one module that talks to the warehouse (core: no Airflow import).

    wh = for_project(project)                   # the dbt target's warehouse, cached on the project
    wh.rows("SELECT ... WHERE run_id = ?", [run_id])   # -> list of tuples; `?` placeholders on every backend
    wh.table_exists("dango", "dango_pii_findings")
    wh.ensure_table("load_stats")               # DDL from the registry in `tables.py`
    with wh.connect() as con: con.execute(sql, params).fetchall()   # under the DuckDB lock
    wh.run_operation("dango_monitors.pii_scan", {"run_id": ...})    # a dbt macro against the same target

Backend-specific SQL and drivers live in one module per backend (`duckdb.py`, `postgres.py`). Every identifier goes
through `quote_ident`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from airflow_provider_dango.config.base import DeterministicError
from airflow_provider_dango.config.monitors import split_relation
from airflow_provider_dango.warehouse import duckdb as duckdb_backend
from airflow_provider_dango.warehouse import postgres as postgres_backend
from airflow_provider_dango.warehouse.duckdb import (
    DEFAULT_LOCK_TIMEOUT_S,
    LOCK_TIMEOUT_ENV,
    WarehouseBusyError,
    WarehouseInUseError,
    WarehouseUnavailableError,
)
from airflow_provider_dango.warehouse.tables import AUDIT_TABLES, META_SCHEMA, TABLES, TableSpec
from airflow_provider_dango.warehouse.target import (
    WAREHOUSE_ENV,
    WarehouseConfigError,
    WarehouseTarget,
    WarehouseUnreachableError,
    mismatch,
    resolve_target,
)

__all__ = [
    "AUDIT_TABLES",
    "META_SCHEMA",
    "TABLES",
    "WAREHOUSE_ENV",
    "TableSpec",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseConfigError",
    "WarehouseInUseError",
    "WarehouseTarget",
    "WarehouseUnavailableError",
    "WarehouseUnreachableError",
    "connect",
    "for_project",
    "mismatch",
    "quote_ident",
    "relation_sql",
    "relation_text",
    "resolve_target",
    "split_relation",
    "warehouse_lock",
]

BACKENDS: dict[str, ModuleType] = {"duckdb": duckdb_backend, "postgres": postgres_backend}


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (double quotes doubled), so odd or reserved names cannot break or inject SQL."""
    return '"' + name.replace('"', '""') + '"'


def relation_text(*parts: str) -> str:
    """The monitors.yml spelling of a relation that `split_relation` reads back exactly: a plain part as it is, any
    other part in double quotes."""
    return ".".join(p if _PLAIN.match(p) else quote_ident(p) for p in parts)


def relation_sql(text: str) -> str:
    """A monitors.yml `source_table` as SQL: every part through `quote_ident`."""
    return ".".join(quote_ident(p) for p in split_relation(text))


def qualified(table: str, schema: str = META_SCHEMA) -> str:
    """`"schema"."table"`, quoted."""
    return f"{quote_ident(schema)}.{quote_ident(table)}"


@dataclass
class Warehouse:
    """The project's warehouse: the dbt target's credentials, a backend module, and the project for dbt runs."""

    target: WarehouseTarget
    project: Any = None

    @property
    def backend(self) -> ModuleType:
        return BACKENDS[self.target.type]

    @property
    def kind(self) -> str:
        return self.target.type

    @property
    def is_duckdb(self) -> bool:
        return self.target.is_duckdb

    @property
    def path(self) -> Path | None:
        """The DuckDB file (None on a server warehouse)."""
        return self.target.path

    @property
    def serialise_writers(self) -> bool:
        """True when tasks must take turns (DuckDB's single writer): the DAGs then use one Airflow pool."""
        return bool(self.backend.SERIALISE_WRITERS)

    @property
    def anchor(self) -> Path:
        """The file dango's local side-files are named after (audit spool, alert outbox): the DuckDB file, or a
        name under the project's `platform.data_dir` for a server warehouse."""
        if self.path is not None:
            return self.path
        c = self.target.credentials
        data_dir = self.project.path(self.project.settings.platform.data_dir) if self.project else Path(".")
        return data_dir / f"{c.get('host')}-{c.get('port')}-{c.get('dbname') or c.get('database')}.postgres"

    @classmethod
    def from_duckdb_file(cls, path: Path) -> Warehouse:
        """A warehouse known only by its DuckDB file (tools and tests that have no project)."""
        return cls(WarehouseTarget("duckdb", "", "", None, path=Path(path)))

    def type_sql(self, logical: str) -> str:
        return self.backend.TYPES[logical]

    def exists(self) -> bool:
        """False only for a DuckDB file that was never written (nothing to read yet)."""
        return self.path.exists() if self.path is not None else True

    @property
    def lock_timeout_s(self) -> float:
        """How long to wait for the lock: $DANGO_WAREHOUSE_LOCK_TIMEOUT, else `airflow.warehouse_lock_timeout_s`
        in project.yml (default 1800 s)."""
        if os.environ.get(LOCK_TIMEOUT_ENV):
            return float(os.environ[LOCK_TIMEOUT_ENV])
        settings = getattr(self.project, "settings", None)
        return float(settings.airflow.warehouse_lock_timeout_s) if settings is not None else DEFAULT_LOCK_TIMEOUT_S

    @contextmanager
    def lock(self, timeout_s: float | None = None, check_file: bool = True) -> Iterator[None]:
        """The single-writer lock (DuckDB), waited for (bounded, reported); a no-op on PostgreSQL. Raises
        WarehouseBusyError after the timeout and WarehouseInUseError when a foreign program has the file open
        (`check_file=False` when the caller opens the file itself at once, which reports the same in one line)."""
        if self.path is None:
            yield
            return
        timeout = self.lock_timeout_s if timeout_s is None else timeout_s
        with duckdb_backend.file_lock(self.path, timeout, check_file=check_file):
            yield

    @contextmanager
    def connect(self, read_only: bool = False, timeout_s: float | None = None) -> Iterator[Any]:
        """A connection with `execute(sql, params)` / `executemany`, held under the lock for the duration. Opening
        the file is itself the foreign-holder check (no separate probe: it cost as much as the open)."""
        with self.lock(timeout_s, check_file=False):
            if self.path is not None:
                with duckdb_backend.open_connection(self.path, read_only) as con:
                    yield con
            else:
                with postgres_backend.open_connection(self.target.credentials, read_only) as con:
                    yield con

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows of one read-only query (empty when a DuckDB warehouse was never written)."""
        if not self.exists():
            return []
        with self.connect(read_only=True) as con:
            return list(con.execute(sql, list(params) if params is not None else None).fetchall())

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self.connect() as con:
            con.execute(sql, list(params) if params is not None else None)

    def table_exists(self, schema: str, table: str, con: Any = None) -> bool:
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
        if con is not None:
            return bool(con.execute(sql, [schema, table]).fetchone()[0])
        if not self.exists():
            return False
        return bool(self.rows(sql, [schema, table])[0][0])

    def ddl(self, table: str) -> str:
        """CREATE TABLE IF NOT EXISTS for one of dango's Python-owned tables (see `tables.TABLES`)."""
        spec = TABLES[table]
        if spec.owner != "python":
            raise ValueError(f"{table} is created by the dango_monitors dbt package, not by Python")
        cols = [f"{quote_ident(c)} {self.type_sql(t)}" for c, t in spec.columns]
        if spec.key:
            cols.append(f"PRIMARY KEY ({', '.join(quote_ident(k) for k in spec.key)})")
        return f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({', '.join(cols)})"

    def ensure_table(self, table: str, con: Any) -> None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(META_SCHEMA)}")
        con.execute(self.ddl(table))

    def dlt_destination(self) -> Any:
        """The dlt destination writing to this same warehouse."""
        if self.path is not None:
            return duckdb_backend.dlt_destination(self.path)
        return postgres_backend.dlt_destination(self.target.credentials)

    def run_dbt(self, args: list[str]) -> Any:
        """A dbt command against this warehouse's target (in-process), under the lock."""
        from airflow_provider_dango.warehouse.dbt_run import run_dbt

        return run_dbt(self.project, args)

    def run_operation(
        self, macro: str, args: dict[str, Any] | None = None, *, quiet: bool = True, target_path: str | None = None
    ) -> Any:
        """`dbt run-operation <macro> --args <json>` against this warehouse's target."""
        argv = [*(["--quiet"] if quiet else []), "run-operation", macro]
        if args:
            argv += ["--args", json.dumps(args)]
        if target_path:
            argv += ["--target-path", target_path]
        return self.run_dbt(argv)


def for_project(project: Any) -> Warehouse:
    """The project's warehouse, resolved once per loaded project from its dbt target (see `target.py`).

    With `airflow.warehouse_conn_id`, the Airflow adapter (`hooks.warehouse`) must have bound the connection's profile
    first; without it this fails in one line rather than guess another database.
    """
    cached = getattr(project, "_warehouse", None)
    if cached is not None:
        return cached
    conn_id = project.settings.airflow.warehouse_conn_id
    profile_data = getattr(project, "_warehouse_profile", None)
    if conn_id and profile_data is None:
        raise WarehouseConfigError(
            f".dango/project.yml: airflow.warehouse_conn_id is {conn_id!r}: the warehouse comes from that Airflow "
            "connection, which only an Airflow adapter can read (operators, `dango` commands with Airflow installed)"
        )
    warehouse = Warehouse(resolve_target(project, profile_data), project)
    project._warehouse = warehouse
    return warehouse

class WarehouseMissingError(DeterministicError, FileNotFoundError):
    """A check was asked to read a DuckDB warehouse file that is not there."""


def require_warehouse(project: Any, step: str) -> None:
    """Fail in one line when the DuckDB file is gone, rather than open (and so create) an empty one and report that
    nothing was found. Only a sync creates the file."""
    warehouse = for_project(project)
    if not warehouse.exists():
        raise WarehouseMissingError(
            f"{step}: the warehouse file {warehouse.path} does not exist (deleted, or never synced); "
            "nothing was checked. A sync creates it again (the schedule's sync DAG, or `dango sync <source>`)"
        )



def bind_profile(project: Any, profile_data: dict[str, Any]) -> Warehouse:
    """Use `profile_data` (a dbt target, e.g. from an Airflow connection) as this project's warehouse."""
    project._warehouse_profile = dict(profile_data)
    project._warehouse = None
    return for_project(project)


# --- path-level helpers, for code that only knows a DuckDB file (tests, the audit spool) ------------------------------


@contextmanager
def warehouse_lock(path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """The DuckDB single-writer lock on a file."""
    with duckdb_backend.file_lock(Path(path), timeout_s, check_file=True):
        yield


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[Any]:
    """A DuckDB connection to a file, under its lock."""
    with warehouse_lock(Path(path)), duckdb_backend.open_connection(Path(path), read_only) as con:
        yield con
