"""`.dango/schedules.yml` -> one Airflow DAG per schedule.

Parse time stays small: no dlt source is imported and dbt never runs; dbt is rendered by Cosmos from a prebuilt
manifest. A broken schedule is left out and reported as one import error on the DAG file (`FILE:LINE: key: message`),
while every good schedule still becomes a DAG.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import warnings
from pathlib import Path
from typing import Any

# Cosmos reads its telemetry settings at import time: switch them off before anything imports it.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from airflow.sdk import DAG, Asset, BaseOperator
from airflow.timetables.trigger import CronTriggerTimetable

from airflow_provider_dango import notifications
from airflow_provider_dango.config import DangoProject, Problem, Schedule, ScheduleType, load_project
from airflow_provider_dango.cosmos_glue import dbt_group_for_sources, dbt_tasks_for_command, require_manifest
from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook
from airflow_provider_dango.operators import drift, monitors, pii, profile
from airflow_provider_dango.operators.pipeline import PipelineStep, PipelineTasks
from airflow_provider_dango.operators.retry import DangoRetryPolicy
from airflow_provider_dango.operators.script import DangoScriptOperator
from airflow_provider_dango.operators.sync import DangoSyncOperator

log = logging.getLogger(__name__)

PROJECT_ENV = "DANGO_PROJECT_DIR"
ERRORS_DAG_ID = "dango_config_errors"
DEFAULT_START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


# The checks every generated pipeline gets, in order: each `pipeline_step(project, schedule, tasks)` returns the
# tasks it adds (a PipelineStep) or None when the schedule has nothing for it to check.
PIPELINE_STEPS = [
    drift.pipeline_step,  # schema drift: between sync and dbt
    pii.pipeline_step,  # PII scan: after dbt
    monitors.pipeline_step,  # metric monitors: after dbt
    profile.pipeline_step,  # column profiles: after dbt and after pii_scan (new PII is masked at once)
]
__all__ = ["PipelineStep", "PipelineTasks", "build_dags", "build_schedule_dag"]


class DangoConfigError(ValueError):
    """Raised while Airflow bags the placeholder DAG: becomes the DAG file's import error."""


def source_asset(project: DangoProject, source: str, table: str | None = None) -> Asset:
    """The Asset a sync task updates: one per source schema, and one per declared table."""
    project_name = project.settings.project.name
    path = f"raw_{source}" + (f"/{table}" if table else "")
    return Asset(name=f"dango.{project_name}.{path.replace('/', '.')}", uri=f"dango://{project_name}/{path}")


def _timetable(schedule: Schedule) -> Any:
    if schedule.on_assets:
        return None  # filled by the caller, which knows the project
    run_immediately: bool | dt.timedelta = False
    if schedule.catchup == "latest":
        # Dango's behaviour: after downtime, run the most recent missed run once.
        run_immediately = dt.timedelta(seconds=schedule.misfire_grace_time) if schedule.misfire_grace_time else True
    return CronTriggerTimetable(schedule.cron, timezone=schedule.timezone, run_immediately=run_immediately)


def _start_date(schedule: Schedule) -> dt.datetime | None:
    """The schedule's `start_date`, or none: with a start date Airflow 3.3 always runs the most recent passed cron time
    when a DAG is unpaused, which ignores `run_immediately` and so made `catchup: none` start a run at once."""
    value = schedule.start_date
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        import zoneinfo

        value = value.replace(tzinfo=zoneinfo.ZoneInfo(schedule.timezone))
    return value


def default_args(project: DangoProject, schedule: Schedule) -> dict[str, Any]:
    timeout = dt.timedelta(minutes=schedule.timeout_minutes)
    args: dict[str, Any] = {
        "owner": "dango",
        "retries": schedule.retries,
        "retry_delay": dt.timedelta(seconds=schedule.retry_delay_seconds),
        "retry_exponential_backoff": schedule.backoff_multiplier,
        "max_retry_delay": dt.timedelta(hours=1),
        "execution_timeout": timeout,
        # A failed dbt test, broken SQL or a config error fails at once (its alert with it); the rest is retried.
        "retry_policy": DangoRetryPolicy(),
    }
    if DangoWarehouseHook(project).serialise_writers():
        args["pool"] = project.settings.airflow.pool  # DuckDB: one writer at a time
    return args


def _paused(project: DangoProject) -> dict[str, Any]:
    """`airflow.is_paused_upon_creation` when the project sets it; otherwise Airflow's own default applies."""
    paused = project.settings.airflow.is_paused_upon_creation
    return {} if paused is None else {"is_paused_upon_creation": paused}


def build_schedule_dag(project: DangoProject, schedule: Schedule) -> DAG:
    """One schedule's DAG: sync tasks -> checks after sync (drift) -> dbt -> checks after dbt (PII, monitors,
    then profiles after the PII scan)."""
    if schedule.runs_dbt:
        require_manifest(project)
    timetable: Any = _timetable(schedule)
    if schedule.on_assets:
        timetable = [source_asset(project, s) for s in schedule.on_assets]
    tags = sorted({"dango", f"dango:{schedule.type.value}", *schedule.tags})
    callbacks: dict[str, Any] = notifications.dag_callbacks(project, schedule)
    # Task-level alert callbacks come as `default_args`, merged into the factory's own.
    task_defaults = {**default_args(project, schedule), **callbacks.pop("default_args", {})}
    doc = (
        f"Generated by dango from `.dango/schedules.yml` (schedule `{schedule.name}`, type `{schedule.type.value}`)."
        f"\n\nSources: {', '.join(schedule.sources) or 'none'}."
    )
    with DAG(
        dag_id=schedule.dag_id,
        description=f"dango schedule {schedule.name} ({schedule.type.value})",
        doc_md=doc,
        schedule=timetable,
        start_date=_start_date(schedule),
        catchup=schedule.catchup == "all",
        max_active_runs=schedule.max_active_runs,
        dagrun_timeout=dt.timedelta(minutes=schedule.timeout_minutes),
        default_args=task_defaults,
        tags=tags,
        params={"dango_schedule": schedule.name},
        **_paused(project),
        **callbacks,
    ) as dag:
        syncs: list[BaseOperator] = []
        if schedule.type in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY):
            for name in schedule.sources:
                source = project.sources[name]
                outlets = [source_asset(project, name)] + [source_asset(project, name, t) for t in source.tables]
                syncs.append(
                    DangoSyncOperator(
                        task_id=f"sync_{name}",
                        project_dir=str(project.root),
                        source_name=name,
                        outlets=outlets,
                    )
                )
        dbt_tasks: Any = None
        if schedule.type == ScheduleType.SYNC:
            dbt_tasks = dbt_group_for_sources(project, schedule, schedule.sources)
        elif schedule.type == ScheduleType.DBT:
            dbt_tasks = dbt_tasks_for_command(project, schedule, schedule.dbt_command or "")
        elif schedule.type == ScheduleType.SCRIPT:
            dbt_tasks = DangoScriptOperator(
                task_id="script", project_dir=str(project.root), script_path=schedule.script_path or ""
            )
        _add_steps(project, schedule, PipelineTasks(dag, syncs, dbt_tasks))
    return dag


def _add_steps(project: DangoProject, schedule: Schedule, tasks: PipelineTasks) -> None:
    """Wire syncs >> checks after sync >> dbt >> checks after dbt."""
    after_sync: list[Any] = []
    after_dbt: list[Any] = []
    for pipeline_step in PIPELINE_STEPS:
        step = pipeline_step(project, schedule, tasks)
        if step is not None:
            after_sync.extend(step.after_sync)
            after_dbt.extend(step.after_dbt)
    if tasks.dbt is not None:
        # Checks after dbt still run when drift skipped the models behind a blocked source (skipped is not failed);
        # a failed dbt task still stops them.
        for task in after_dbt:
            task.trigger_rule = "none_failed"
    stages = [
        stage for stage in (tasks.syncs, after_sync, [tasks.dbt] if tasks.dbt is not None else [], after_dbt) if stage
    ]
    for upstream, downstream in itertools.pairwise(stages):
        for task in upstream:
            task >> downstream


def _error_dag(problems: list[Problem]) -> DAG:
    """A placeholder whose validation fails, so Airflow shows the config problems as this file's import error."""
    message = "\n".join(str(p) for p in problems)

    class _BrokenConfigDag(DAG):
        def validate(self) -> None:
            raise DangoConfigError(message)

    return _BrokenConfigDag(dag_id=ERRORS_DAG_ID, schedule=None, start_date=DEFAULT_START, tags=["dango"])


def _forget_dag(dag_id: str) -> None:
    """A DAG whose construction failed half way must not be auto-registered by its `with DAG(...)` block."""
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    DagContext.autoregistered_dags = {(d, m) for d, m in DagContext.autoregistered_dags if d.dag_id != dag_id}


def build_dags(project_dir: str | Path | None = None) -> dict[str, DAG]:
    """Every schedule's DAG, keyed by dag_id; broken schedules become one import error instead of hiding the rest."""
    root = Path(project_dir or os.environ.get(PROJECT_ENV) or ".")
    project = load_project(root)
    dags: dict[str, DAG] = {}
    build_problems: list[Problem] = []
    for schedule in project.schedules:
        if not schedule.enabled:
            continue
        try:
            dags[schedule.dag_id] = build_schedule_dag(project, schedule)
        except Exception as exc:
            _forget_dag(schedule.dag_id)
            where = Path(".dango") / "schedules.yml"
            build_problems.append(Problem(where, None, f"schedule {schedule.name!r}: {exc}"))
            log.warning("dango: could not build the DAG of schedule %s: %s", schedule.name, exc)
    # One extra DAG checking source freshness on its own clock (and retrying the alert outbox).
    try:
        stale_dag = notifications.stale_check_dag(project)
        if stale_dag is not None:
            dags[stale_dag.dag_id] = stale_dag
    except Exception as exc:
        build_problems.append(Problem(Path(".dango") / "schedules.yml", None, f"stale check DAG: {exc}"))
        log.warning("dango: could not build the stale check DAG: %s", exc)
    for warning in project.warnings:
        warnings.warn(str(warning), UserWarning, stacklevel=2)
    problems = project.errors + build_problems
    if problems:
        for problem in problems:
            log.error("dango: %s", problem)
        dags[ERRORS_DAG_ID] = _error_dag(problems)
    return dags
