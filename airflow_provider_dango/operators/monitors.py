"""The monitors task of every generated sync DAG: after dbt, judge `.dango/monitors.yml` for the run's logical date."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.config import DangoProject, Schedule, ScheduleType
from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
from airflow_provider_dango.monitors.core import run_step
from airflow_provider_dango.operators.pipeline import PipelineStep, PipelineTasks
from airflow_provider_dango.steps import Scope


class DangoMonitorsOperator(BaseOperator):
    """Run every monitor (collection + verdict in SQL, trend + drivers in Python), alert on flagged / trending ones.

    Never fails because a metric is flagged: that is an alert, not a broken pipeline. Returns the results as in
    `dango monitors run --json`. Runs only when dbt succeeded (the default trigger rule): judging metrics built on a
    failed build would mislead, and a leaf task that always runs would turn the failed run green."""

    template_fields: Sequence[str] = ("project_dir",)
    ui_color = "#c9e4f6"

    def __init__(self, *, project_dir: str, schedule_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.schedule_name = schedule_name

    def execute(self, context: Any) -> dict[str, Any]:
        project = load_project_with_warehouse(self.project_dir)
        as_of = context.get("data_interval_end") or context.get("logical_date")
        scope = Scope(as_of=as_of, dag_id=self.dag_id)
        run = run_step(project, scope, run_id=context.get("run_id"), schedule=self.schedule_name)
        for r in run.results:
            driver = f", top driver {r.drivers[0].dimension}={r.drivers[0].value}" if r.drivers else ""
            change = f" {r.change_pct:+.1f}%" if r.change_pct is not None else ""
            self.log.info("monitor %s: %s%s%s%s", r.name, r.status, change, driver, f" ({r.error})" if r.error else "")
        return run.as_dict()


def pipeline_step(project: DangoProject, schedule: Schedule, tasks: PipelineTasks) -> PipelineStep | None:
    """One monitors task after dbt in every DAG that syncs."""
    if schedule.type not in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY):
        return None
    task = DangoMonitorsOperator(task_id="monitors", project_dir=str(project.root), schedule_name=schedule.name)
    return PipelineStep(after_dbt=[task])
