"""Run one dlt source into `raw_<source>` of the project's warehouse and report what dlt says it loaded.

Plain Python (no Airflow import): the sync operator and `dango sync` both call `run_step` (one source).
Row counts come from dlt's own normalize info, not from counting the tables again.

Crash safety: dlt's working folder (pipeline state, pending load packages) persists in the project's
`.dango/state/dlt/`, so a sync killed at any point leaves its package behind for the next one. Before loading a package
we keep a pristine copy of it (hard links); a package found pending on the next run had its load interrupted, so its
rows are deleted from the warehouse (by `_dlt_load_id`) and the pristine package is loaded again. Each row therefore
lands exactly once, whatever the write disposition, even when the kill fell between a job's commit and dlt's record.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject, Source
from airflow_provider_dango.config.loader import did_you_mean
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import for_project, qualified, quote_ident
from airflow_provider_dango.warehouse.duckdb import file_lock

log = logging.getLogger(__name__)


class SourceImportError(ImportError):
    """The `module:function` of a source cannot be imported or called."""


class UnknownSourceError(KeyError):
    """No source of that name in sources.yml (or it is disabled or invalid)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown source"


@dataclass
class SyncResult:
    """What one sync did; small enough for XCom."""

    source: str
    schema: str
    rows_loaded: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
    recovered_load_ids: list[str] = field(default_factory=list)
    schema_version_hash: str | None = None
    started_at: str = ""
    duration_seconds: float = 0.0
    run_id: str = ""  # the run id of its `dango.load_stats` rows

    @property
    def total_rows(self) -> int:
        return sum(self.rows_loaded.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"synced {self.source} into {self.schema}: {self.total_rows:,} rows in {len(self.rows_loaded)} table(s), "
            f"{self.duration_seconds:.1f} s"
        )

    def events(self) -> list[Event]:
        """None: sync_completed / sync_failed need the DAG run's outcome, so the Airflow callbacks send them."""
        return []

    def audit_rows(self) -> list[AuditRow]:
        """None: a sync's record is its `dango.load_stats` rows (same run id) and the task row of the listener."""
        return []


def resolve_source(project: DangoProject, source: Source) -> Any:
    """Import the source's callable and call it with its args: a dlt source or resource."""
    target = source.callable_path
    if target is None:
        raise SourceImportError(f"source {source.name!r} of type {source.type!r} has no `function` to run")
    module_name, _, func_name = target.partition(":")
    with project.importable():
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise SourceImportError(f"source {source.name!r}: cannot import {module_name!r}: {exc}") from exc
        func = getattr(module, func_name, None)
        if not callable(func):
            raise SourceImportError(f"source {source.name!r}: {module_name!r} has no callable {func_name!r}")
        # Called while the project's modules are in sys.modules: dlt's decorators look their module up there.
        try:
            return func(**source.call_args)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise SourceImportError(
                f"source {source.name!r}: {target} raised {type(exc).__name__}" + (f": {reason}" if reason else "")
            ) from exc


def run_sync(project: DangoProject, source_name: str, run_id: str | None = None) -> SyncResult:
    """Extract, normalize and load one source; record per-table row counts in `dango.load_stats`."""
    import dlt

    source = project.sources.get(source_name)
    if source is None:
        known = ", ".join(sorted(project.sources)) or "none"
        raise UnknownSourceError(
            f"unknown source {source_name!r}{did_you_mean(source_name, project.sources)}; known: {known}"
        )
    data = resolve_source(project, source)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()
    warehouse = for_project(project)
    state_dir = dlt_state_dir(project)
    # The warehouse's lock (DuckDB; a no-op on PostgreSQL) is held for as long as dlt has the warehouse open,
    # recovery included. dlt's state is also kept in the warehouse (`_dlt_pipeline_state`): `sync_destination` takes
    # it from there when it is newer than the local copy (another worker synced since). The pipeline's own folder
    # lock matters where the warehouse lock is a no-op (PostgreSQL): two syncs of one source on this machine must not
    # recover (roll back) each other's loads. Always taken in this order, so the two locks cannot deadlock.
    with warehouse.lock(), file_lock(state_dir / "locks" / f"dango_{source_name}"):
        pipeline = dlt.pipeline(
            pipeline_name=f"dango_{source_name}",
            destination=warehouse.dlt_destination(),
            dataset_name=source.schema_name,
            pipelines_dir=str(state_dir / "pipelines"),
        )
        packages = PendingPackages(pipeline, state_dir / "snapshots" / pipeline.pipeline_name)
        recovered = packages.recover()
        pipeline.sync_destination()
        kwargs: dict[str, Any] = {}
        if source.write_disposition:
            kwargs["write_disposition"] = source.write_disposition
        pipeline.extract(data, **kwargs)
        normalize = pipeline.normalize()
        load_info = packages.load()
        row_counts = dict(normalize.row_counts) if normalize else {}
        schema_hash = pipeline.default_schema.version_hash if pipeline.default_schema_name else None
    result = SyncResult(
        source=source_name,
        schema=source.schema_name,
        rows_loaded={t: int(n) for t, n in sorted(row_counts.items()) if not t.startswith("_dlt")},
        load_ids=list(load_info.loads_ids) if load_info else [],
        recovered_load_ids=recovered,
        schema_version_hash=schema_hash,
        started_at=started.isoformat(),
        duration_seconds=round(time.monotonic() - t0, 3),
    )
    result.run_id = run_id or new_run_id("sync")
    record_load_stats(project, result, result.run_id)
    return result


def run_step(project: DangoProject, scope: Scope, run_id: str | None = None, schedule: str | None = None) -> SyncResult:
    """Sync the one source in `scope.sources` (a step is one task: one source)."""
    if not scope.sources or len(scope.sources) != 1:
        raise ValueError(f"a sync step runs exactly one source, got {scope.sources!r}")
    return finish(project, run_sync(project, scope.sources[0], run_id=run_id), scope)


def dlt_state_dir(project: DangoProject) -> Path:
    """dlt's persistent working folder for this project (git-ignored): `.dango/state/dlt/`."""
    return project.dango_dir / "state" / "dlt"


class PendingPackages:
    """Load packages of one pipeline, loaded so that an interrupted load is rolled back and loaded again.

    `snapshot_dir/<load_id>/` is a pristine copy of each normalized package, taken before its load starts and
    removed once the warehouse records the load in `_dlt_loads`.
    """

    def __init__(self, pipeline: Any, snapshot_dir: Path) -> None:
        self.pipeline = pipeline
        self.snapshot_dir = snapshot_dir
        self.normalized_dir = Path(pipeline.working_dir) / "load" / "normalized"
        self.loaded_dir = Path(pipeline.working_dir) / "load" / "loaded"

    def recover(self) -> list[str]:
        """Finish what a killed sync left: packages extracted but not normalized, and loads cut short."""
        self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        for partial in self.snapshot_dir.glob("*.tmp"):
            shutil.rmtree(partial)  # a snapshot cut short; its package was not loaded from yet
        for stage in ("new", "normalized", "loaded"):
            folder = Path(self.pipeline.working_dir) / "load" / stage
            for stray in folder.iterdir() if folder.exists() else []:
                # Packages are folders. A file here is dlt's atomic-save temp file (`FileStorage.save_atomic` writes
                # `<stage>/<16 hex>` then renames it into a package), left by a kill between the write and the rename.
                if stray.is_file():
                    stray.unlink()
        if self.loaded_dir.exists():
            for done in self.loaded_dir.iterdir():  # dlt's copy of a finished load; the warehouse has it all
                shutil.rmtree(done)
        normalize_dir = Path(self.pipeline.working_dir) / "normalize"
        if normalize_dir.exists():
            for folder in normalize_dir.iterdir():  # an extract killed before dlt committed it: never loaded
                if folder.is_dir() and folder.name != "extracted" and not folder.name.startswith("."):
                    shutil.rmtree(folder)
        completed = self._completed_loads()
        for snap in [p for p in self.snapshot_dir.iterdir() if p.is_dir()]:
            if snap.name in completed:
                shutil.rmtree(snap)
            elif not (self.normalized_dir / snap.name).exists():
                # Killed while a package was being restored from its snapshot: put it back first.
                self._restore(snap.name)
        if self.pipeline.list_extracted_load_packages():
            self.pipeline.normalize()
        pending = list(self.pipeline.list_normalized_load_packages())
        if not pending:
            return []
        log.warning("Sync %s: completing interrupted load(s) %s", self.pipeline.pipeline_name, pending)
        for load_id in pending:
            if (self.snapshot_dir / load_id).exists():
                self._rollback(load_id)
                self._restore(load_id)
        self.load()
        return pending

    def load(self) -> Any:
        """Snapshot every normalized package, load them, then drop the snapshots and dlt's copy of the load."""
        pending = list(self.pipeline.list_normalized_load_packages())
        if not pending:
            return None
        for load_id in pending:
            self._snapshot(load_id)
        load_info = self.pipeline.load()
        load_info.raise_on_failed_jobs()
        for load_id in pending:
            shutil.rmtree(self.snapshot_dir / load_id, ignore_errors=True)
            shutil.rmtree(self.loaded_dir / load_id, ignore_errors=True)
        return load_info

    def _snapshot(self, load_id: str) -> None:
        final = self.snapshot_dir / load_id
        if final.exists():
            return
        tmp = self.snapshot_dir / f"{load_id}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        _link_tree(self.normalized_dir / load_id, tmp)
        os.replace(tmp, final)

    def _restore(self, load_id: str) -> None:
        """Replace the package by its pristine snapshot; a kill between the two renames is repaired by `recover`."""
        package = self.normalized_dir / load_id
        fresh = self.snapshot_dir / f"{load_id}.restore"
        old = self.snapshot_dir / f"{load_id}.old"
        for leftover in (fresh, old):
            shutil.rmtree(leftover, ignore_errors=True)
        _link_tree(self.snapshot_dir / load_id, fresh)
        if package.exists():
            os.replace(package, old)
        package.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fresh, package)
        shutil.rmtree(old, ignore_errors=True)

    def _completed_loads(self) -> set[str]:
        """Load ids the warehouse has recorded as complete."""
        with self.pipeline.sql_client() as client:
            if not client.has_dataset():
                return set()
            loads = client.make_qualified_table_name("_dlt_loads")
            try:
                with client.execute_query(f"SELECT load_id FROM {loads} WHERE status = 0") as cur:
                    return {row[0] for row in cur.fetchall()}
            except Exception:  # no load finished yet: the table does not exist
                return set()

    def _rollback(self, load_id: str) -> None:
        """Delete every row the interrupted load wrote: root tables by `_dlt_load_id`, nested ones by parent."""
        if not self.pipeline.default_schema_name:
            return
        schema = self.pipeline.default_schema
        dataset = self.pipeline.dataset_name
        with self.pipeline.sql_client() as client:
            if not client.has_dataset():
                return
            with client.execute_query(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s", dataset
            ) as cur:
                columns: dict[str, set[str]] = {}
                for table_name, column_name in cur.fetchall():
                    columns.setdefault(table_name, set()).add(column_name)

            def rows_of(table: str) -> str | None:
                """A predicate selecting `table`'s rows written by `load_id`, or None when it cannot say."""
                cols = columns.get(table, set())
                if "_dlt_load_id" in cols:
                    return f"{quote_ident('_dlt_load_id')} = %s"
                parent = schema.tables.get(table, {}).get("parent")
                if parent and "_dlt_parent_id" in cols:
                    inner = rows_of(parent)
                    if inner is not None:
                        return (
                            f"{quote_ident('_dlt_parent_id')} IN (SELECT {quote_ident('_dlt_id')} "
                            f"FROM {qualified(parent, dataset)} WHERE {inner})"
                        )
                return None

            def depth(table: str) -> int:
                parent = schema.tables.get(table, {}).get("parent")
                return 0 if not parent else 1 + depth(parent)

            tables = [t for t in schema.tables if t in columns and t != "_dlt_loads"]
            statements: list[tuple[str, int]] = []
            for table in sorted(tables, key=depth, reverse=True):  # children before their parents
                predicate = rows_of(table)
                if predicate is None:
                    if schema.tables[table].get("write_disposition") != "replace":
                        log.warning("Cannot roll back table %s.%s: it has no _dlt_load_id", dataset, table)
                    continue
                statements.append((f"DELETE FROM {qualified(table, dataset)} WHERE {predicate}", predicate.count("%s")))
            if "_dlt_loads" in columns:
                statements.append((f"DELETE FROM {qualified('_dlt_loads', dataset)} WHERE load_id = %s", 1))
            with client.begin_transaction():
                for sql, params in statements:
                    client.execute_sql(sql, *([load_id] * params))
        log.warning("Rolled back the interrupted load %s of %s", load_id, dataset)


def _link_tree(src: Path, dest: Path) -> None:
    """Copy a package folder: job files are hard-linked (dlt only renames them), metadata files are copied."""

    def link_or_copy(s: str, d: str) -> str:
        if os.path.basename(os.path.dirname(s)).endswith("_jobs"):
            try:
                os.link(s, d)
                return d
            except OSError:
                pass
        return shutil.copy2(s, d)

    shutil.copytree(src, dest, copy_function=link_or_copy)


def record_load_stats(project: DangoProject, result: SyncResult, run_id: str) -> None:
    """Append per-table row counts to `dango.load_stats` (idempotent per run, source and table)."""
    warehouse = for_project(project)
    table = qualified("load_stats")
    with warehouse.connect() as con:
        warehouse.ensure_table("load_stats", con)
        con.execute(f"DELETE FROM {table} WHERE run_id = ? AND source = ?", [run_id, result.source])
        rows = [
            (
                run_id,
                result.source,
                t,
                n,
                result.load_ids,
                result.schema_version_hash,
                result.started_at,
                result.duration_seconds,
            )
            for t, n in result.rows_loaded.items()
        ]
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
