"""The profile task of every generated sync DAG: after dbt (and after the PII scan, so new PII is masked at once),
profile the synced sources' tables and the models just built."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.config import DangoProject, Schedule, ScheduleType


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
        schedule_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.sources = sources
        self.models = models
        self.schedule_name = schedule_name

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.dbt import load_manifest
        from airflow_provider_dango.profile import run_step, scope_relations

        project = load_project(self.project_dir)
        manifest = load_manifest(project)
        scope = scope_relations(manifest, sources=self.sources, downstream=self.models)
        result = run_step(project, scope, run_id=context.get("run_id"), schedule=self.schedule_name)
        self.log.info("%s", result.summary())
        return result.as_dict()


def pipeline_step(project: DangoProject, schedule: Schedule, tasks: Any) -> Any:
    """A `profile` task after dbt in every DAG that syncs, downstream of `pii_scan` when there is one."""
    from airflow_provider_dango.dag_factory import PipelineStep

    if schedule.type not in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY) or not tasks.syncs:
        return None
    task = DangoProfileOperator(
        task_id="profile",
        project_dir=str(project.root),
        sources=list(schedule.sources),
        models=schedule.type == ScheduleType.SYNC,
        schedule_name=schedule.name,
        dag=tasks.dag,
    )
    pii = tasks.dag.task_dict.get("pii_scan")
    if pii is not None:
        pii >> task
    return PipelineStep(after_dbt=[task])
