"""The profile task of every generated sync DAG: after dbt (and after the PII scan, so new PII is masked at once),
profile the synced sources' tables and the models just built."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.config import ScheduleType
from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
from airflow_provider_dango.operators.pipeline import PipelineStep, PipelineTasks
from airflow_provider_dango.profile import run_step
from airflow_provider_dango.steps import Scope


class DangoProfileOperator(BaseOperator):
    """Column profiles in SQL (one scan per table), appended to dango.dango_column_profiles under the run id."""

    template_fields: Sequence[str] = ("project_dir",)
    ui_color = "#d7ecd9"

    def __init__(
        self,
        *,
        project_dir: str,
        sources: list[str],
        models: bool = True,
        schedule: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.sources = sources
        self.models = models
        self.schedule = schedule

    def execute(self, context: Any) -> dict[str, Any]:
        project = load_project_with_warehouse(self.project_dir)
        scope = Scope(sources=list(self.sources), dag_id=self.dag_id, options={"models": self.models})
        result = run_step(project, scope, run_id=context.get("run_id"), schedule=self.schedule)
        self.log.info("%s", result.summary())
        return result.as_dict()


def pipeline_step(project: Any, schedule: Any, tasks: PipelineTasks) -> PipelineStep | None:
    """A `profile` task after dbt in every DAG that syncs, downstream of `pii_scan` when that step added one (it
    comes before this one in `dag_factory.PIPELINE_STEPS`)."""
    if schedule.type not in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY) or not tasks.syncs:
        return None
    task = DangoProfileOperator(
        task_id="profile",
        project_dir=str(project.root),
        sources=list(schedule.sources),
        models=schedule.type == ScheduleType.SYNC,
        schedule=schedule.name,
        dag=tasks.dag,
    )
    pii_scan = tasks.dag.task_dict.get("pii_scan")
    if pii_scan is not None:
        pii_scan >> task
    return PipelineStep(after_dbt=[task])
