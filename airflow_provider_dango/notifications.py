"""Airflow side of alerts: BaseNotifier subclasses, the callbacks of generated DAGs, and the stale-check DAG.

Thin adapters: they turn an Airflow callback context into an `alerts.Event` and call `alerts.emit`.
  - task failure   -> sync_failed (sync tasks), dbt_test_failed (dbt test tasks), dag_failed (any other task)
  - task retry     -> sync_retrying (attempt number, next retry time)
  - DAG success    -> sync_completed (rows per table from `dango.load_stats`, duration)
  - DAG failure    -> dag_failed, only when no task failure explains it (DAG run timeout, deadlock)
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier, BaseOperator

from airflow_provider_dango.alerts import Event, emit
from airflow_provider_dango.alerts.stale import run_stale_check
from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook, load_project_with_warehouse
from airflow_provider_dango.warehouse import qualified

if TYPE_CHECKING:
    from airflow_provider_dango.alerts import Event
    from airflow_provider_dango.config import DangoProject, Schedule

STALE_CHECK_DAG_ID = "dango_stale_check"
_TEST_NAME = re.compile(r"(?:Failure|Error|Warning) in test ([A-Za-z0-9_.]+)")


def _get(context: Any, key: str) -> Any:
    try:
        return context.get(key) if hasattr(context, "get") else context[key]
    except (KeyError, AttributeError):
        return None


def _dag_id(context: Any) -> str | None:
    dag = _get(context, "dag")
    if dag is not None:
        return getattr(dag, "dag_id", None)
    ti = _get(context, "ti")
    return getattr(ti, "dag_id", None)


def _run_id(context: Any) -> str | None:
    run_id = _get(context, "run_id")
    if run_id:
        return str(run_id)
    dag_run = _get(context, "dag_run")
    return getattr(dag_run, "run_id", None)


def _error_text(exc: Any) -> str | None:
    if exc is None:
        return None
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class DangoNotifier(BaseNotifier):
    """Base: loads the project at notify time and emits the event that `build_event` returns."""

    template_fields: Sequence[str] = ("project_dir",)

    def __init__(self, *, project_dir: str, schedule: str | None = None, sources: Sequence[str] = ()) -> None:
        super().__init__()
        self.project_dir = project_dir
        self.schedule = schedule
        self.sources = list(sources)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        dag = _get(context, "dag")
        if jinja_env is None and dag is not None and not hasattr(dag, "get_template_env"):
            # dag.test() hands DAG-level callbacks a SerializedDAG, which cannot make a Jinja environment.
            from jinja2.sandbox import SandboxedEnvironment

            jinja_env = SandboxedEnvironment()
        super().render_template_fields(context, jinja_env)

    def build_event(self, project: DangoProject, context: Any) -> Event | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def notify(self, context: Any) -> None:
        project = load_project_with_warehouse(self.project_dir)
        event = self.build_event(project, context)
        if event is None:
            return
        result = emit(project, event)
        if result is not None:
            self.log.info(
                "dango alert %s: %s",
                event.type,
                "suppressed (dedup)"
                if result.suppressed
                else f"delivered to {result.delivered or 'none'}, pending {result.pending or 'none'}",
            )

    def _base(self, context: Any, **kwargs: Any) -> dict[str, Any]:
        ti = _get(context, "ti")
        return {
            "schedule": self.schedule,
            "sources": self.sources,
            "dag_id": _dag_id(context),
            "run_id": _run_id(context),
            "task_id": getattr(ti, "task_id", None),
            **kwargs,
        }


class DangoTaskFailureNotifier(DangoNotifier):
    """Task-level `on_failure_callback`: the failing task, its error and, for dbt tests, the failing tests."""

    def build_event(self, project: DangoProject, context: Any) -> Event | None:

        ti = _get(context, "ti")
        task_id = str(getattr(ti, "task_id", "") or "")
        error = _error_text(_get(context, "exception"))
        base = self._base(context, error=error, attempt_number=getattr(ti, "try_number", None))
        if task_id.startswith("sync_"):
            base["sources"] = [task_id.removeprefix("sync_")]
            return Event(type="sync_failed", **base)
        from airflow_provider_dango.hooks.dbt_outcome import outcome_for

        outcome = outcome_for(ti)
        if outcome is not None and outcome.failing_tests:
            # From this try's run_results: each failing test with its offending rows (PII masked).
            names = [t["test"] for t in outcome.failing_tests]
            summary = f"{len(names)} dbt test(s) failed in {task_id}: {', '.join(names)}"
            details = {"failing_tests": outcome.failing_tests}
            return Event(type="dbt_test_failed", summary=summary, details=details, **base)
        if task_id.endswith((".test", "_test")) or ".test" in task_id:
            tests = sorted(set(_TEST_NAME.findall(error or "")))
            details = {"failing_tests": [{"test": t} for t in tests]} if tests else {}
            summary = f"dbt tests failed in {task_id}" + (f": {', '.join(tests)}" if tests else "")
            return Event(type="dbt_test_failed", summary=summary, details=details, **base)
        return Event(type="dag_failed", summary=f"task {task_id} failed", **base)


class DangoRetryNotifier(DangoNotifier):
    """Task-level `on_retry_callback`: sync_retrying with the attempt number and the next retry time."""

    def build_event(self, project: DangoProject, context: Any) -> Event | None:

        ti = _get(context, "ti")
        next_at = next_retry_datetime(ti, context)
        base = self._base(
            context,
            error=_error_text(_get(context, "exception")),
            attempt_number=getattr(ti, "try_number", None),
            next_retry_at=next_at.isoformat(timespec="milliseconds") if next_at else None,
        )
        task_id = str(base.get("task_id") or "")
        if task_id.startswith("sync_"):
            base["sources"] = [task_id.removeprefix("sync_")]
        return Event(type="sync_retrying", **base)


def next_retry_datetime(ti: Any, context: Any) -> dt.datetime | None:
    """When the scheduler will start the next try: Airflow's own `TaskInstance.next_retry_datetime` (exponential
    backoff from `retry_delay`, its per-try jitter, `max_retry_delay`), given what the task process knows of the try
    that just failed. The jitter hashes the logical date as the metadata database returns it, so it is passed so."""
    from types import SimpleNamespace

    from airflow.models.taskinstance import TaskInstance

    task = getattr(ti, "task", None)
    if task is None or getattr(task, "retry_delay", None) is None:
        return None
    logical = _get(context, "logical_date")
    if logical is not None:
        logical = logical.astimezone(dt.timezone.utc)
        logical = dt.datetime.combine(logical.date(), logical.time(), tzinfo=dt.timezone.utc)
    shim = SimpleNamespace(
        retry_delay_override=None,
        task=task,
        try_number=getattr(ti, "try_number", 1) or 1,
        dag_id=getattr(ti, "dag_id", None),
        task_id=getattr(ti, "task_id", None),
        logical_date=logical,
        end_date=getattr(ti, "end_date", None) or dt.datetime.now(dt.timezone.utc),
        log=logging.getLogger(__name__),
    )
    try:
        return TaskInstance.next_retry_datetime(shim)  # type: ignore[arg-type]
    except Exception:  # an Airflow without this method: the plain delay
        return shim.end_date + task.retry_delay


class DangoSuccessNotifier(DangoNotifier):
    """DAG-level `on_success_callback`: sync_completed with rows loaded in this run."""

    def build_event(self, project: DangoProject, context: Any) -> Event | None:

        run_id = _run_id(context)
        rows = _rows_loaded(project, run_id) if run_id else None
        dag_run = _get(context, "dag_run")
        start = getattr(dag_run, "start_date", None)
        duration = (dt.datetime.now(dt.timezone.utc) - start).total_seconds() if start else None
        base = self._base(context, rows_loaded=rows, duration_seconds=duration)
        base["task_id"] = None
        return Event(type="sync_completed", **base)


class DangoDagFailureNotifier(DangoNotifier):
    """DAG-level `on_failure_callback`: dag_failed when the run failed without a task failure (e.g. timed out)."""

    def build_event(self, project: DangoProject, context: Any) -> Event | None:

        reason = str(_get(context, "reason") or "")
        if reason == "task_failure":
            return None  # the failing task's own callback already alerted, with its error
        base = self._base(context, error=f"DAG run failed: {reason or 'unknown reason'}")
        base["task_id"] = None
        severity = "critical" if "timed_out" in reason or "timeout" in reason else "error"
        return Event(type="dag_failed", severity=severity, summary=reason or None, **base)


def _rows_loaded(project: DangoProject, run_id: str) -> dict[str, int] | None:

    # A callback must not wait long for the warehouse (DAG callbacks run in the DAG processor): 30 s, then no counts.
    try:
        with DangoWarehouseHook(project).get_warehouse().connect(read_only=True, timeout_s=30) as con:
            rows = con.execute(
                f"SELECT source || '.' || table_name, rows_loaded FROM {qualified('load_stats')} "
                "WHERE run_id = ? ORDER BY 1",
                [run_id],
            ).fetchall()
    except Exception:
        return None
    return {name: int(n) for name, n in rows}


def dag_callbacks(project: DangoProject, schedule: Schedule) -> dict[str, Any]:
    """DAG kwargs for a generated DAG: DAG-level success/failure notifiers, and task-level failure/retry
    notifiers under `default_args` (the factory merges those into its own default_args)."""
    common = {"project_dir": str(project.root), "schedule": schedule.name, "sources": schedule.sources}
    return {
        "on_success_callback": DangoSuccessNotifier(**common),
        "on_failure_callback": DangoDagFailureNotifier(**common),
        "default_args": {
            "on_failure_callback": DangoTaskFailureNotifier(**common),
            "on_retry_callback": DangoRetryNotifier(**common),
        },
    }


class DangoStaleCheckOperator(BaseOperator):
    """Emits sync_stale for sources past `stale_threshold_hours`, then retries the alert outbox."""

    template_fields: Sequence[str] = ("project_dir",)
    ui_color = "#ecb22e"

    def __init__(self, *, project_dir: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir

    def execute(self, context: Any) -> dict[str, int]:
        counts = run_stale_check(load_project_with_warehouse(self.project_dir))
        self.log.info("dango stale check: %s", counts)
        return counts


def stale_check_dag(project: DangoProject) -> Any:
    """The `dango_stale_check` DAG: whenever a webhook and a source exist, unless `notifications.stale_check: false`.
    Which sources it alerts on follows `on_stale` and each schedule's `notify_on`."""
    from airflow.sdk import DAG
    from airflow.timetables.trigger import CronTriggerTimetable

    settings = project.notifications
    if not settings.stale_check or not settings.webhooks or not project.sources:
        return None  # it also retries the alert outbox, so `on_stale: false` or `notify_on` do not remove it
    paused = project.settings.airflow.is_paused_upon_creation
    extra = {} if paused is None else {"is_paused_upon_creation": paused}
    with DAG(
        dag_id=STALE_CHECK_DAG_ID,
        description="dango: alert on sources with no successful sync for stale_threshold_hours; retry the outbox",
        schedule=CronTriggerTimetable(project.notifications.stale_check_cron, timezone="UTC"),
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        catchup=False,
        max_active_runs=1,
        tags=["dango", "dango:alerts"],
        default_args={"owner": "dango", "retries": 0},
        **extra,
    ) as dag:
        DangoStaleCheckOperator(task_id="check_stale_sources", project_dir=str(project.root))
    return dag
