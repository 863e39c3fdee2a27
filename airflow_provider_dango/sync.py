"""Run one dlt source into `raw_<source>` of the project's warehouse and report what dlt says it loaded.

Plain Python (no Airflow import): the sync operator and `dango sync` both call `run_sync`.
Row counts come from dlt's own normalize info, not from counting the tables again.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject, Source
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import for_project, qualified

log = logging.getLogger(__name__)


class SourceImportError(ImportError):
    """The `module:function` of a source cannot be imported or called."""


@dataclass
class SyncResult:
    """What one sync did; small enough for XCom."""

    source: str
    schema: str
    rows_loaded: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
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
        return func(**source.call_args)


def run_sync(project: DangoProject, source_name: str, run_id: str | None = None) -> SyncResult:
    """Extract, normalize and load one source; record per-table row counts in `dango.load_stats`."""
    import dlt

    source = project.sources.get(source_name)
    if source is None:
        raise KeyError(f"unknown source {source_name!r}; known: {', '.join(sorted(project.sources)) or 'none'}")
    data = resolve_source(project, source)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()
    warehouse = for_project(project)
    # dlt's working folder is scratch: state lives in the warehouse (`_dlt_pipeline_state`) and is restored from it,
    # so tasks on different workers share nothing but the warehouse.
    with tempfile.TemporaryDirectory(prefix=f"dango-dlt-{source_name}-") as workdir, warehouse.lock():
        pipeline = dlt.pipeline(
            pipeline_name=f"dango_{source_name}",
            destination=warehouse.dlt_destination(),
            dataset_name=source.schema_name,
            pipelines_dir=workdir,
        )
        kwargs: dict[str, Any] = {}
        if source.write_disposition:
            kwargs["write_disposition"] = source.write_disposition
        load_info = pipeline.run(data, **kwargs)
        load_info.raise_on_failed_jobs()
        trace = pipeline.last_trace
        normalize = trace.last_normalize_info if trace else None
        row_counts = dict(normalize.row_counts) if normalize else {}
        schema_hash = pipeline.default_schema.version_hash if pipeline.default_schema_name else None
    result = SyncResult(
        source=source_name,
        schema=source.schema_name,
        rows_loaded={t: int(n) for t, n in sorted(row_counts.items()) if not t.startswith("_dlt")},
        load_ids=list(load_info.loads_ids),
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
