"""DangoPiiScanOperator: the PII task every generated sync DAG runs after dbt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
from airflow_provider_dango.operators.pipeline import PipelineStep, PipelineTasks
from airflow_provider_dango.pii import run_step
from airflow_provider_dango.steps import Scope


class DangoPiiScanOperator(BaseOperator):
    """Scan the schedule's raw schemas (sampled) and raise one governance event for new findings."""

    template_fields: Sequence[str] = ("project_dir", "schemas")
    ui_color = "#e8c4f0"

    def __init__(
        self, *, project_dir: str, schemas: list[str] | None = None, schedule: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.schemas = schemas
        self.schedule = schedule

    def execute(self, context: Any) -> dict[str, Any]:
        project = load_project_with_warehouse(self.project_dir)
        scope = Scope(schemas=self.schemas or None, dag_id=self.dag_id)
        result = run_step(project, scope, run_id=context.get("run_id"), schedule=self.schedule)
        for f in result.findings:
            self.log.info(
                "PII %s.%s: %s (%s) prevalence %.1f%%, confidence %.2f, e.g. %s%s",
                f.table,
                f.column,
                f.entity,
                f.match_mode,
                f.prevalence * 100,
                f.confidence,
                f.example,
                " [new]" if f.new else "",
            )
        for s in result.skips:
            if not s.reason.startswith("not a string column"):
                self.log.info("PII scan skipped %s%s: %s", s.table, "." + s.column if s.column else "", s.reason)
        self.log.info("%s", result.summary())
        return result.as_dict()


def pipeline_step(project: Any, schedule: Any, tasks: PipelineTasks) -> PipelineStep | None:
    """A `pii_scan` task after dbt in every DAG that syncs; it scans the schemas those syncs write."""
    if not tasks.syncs:
        return None
    task = DangoPiiScanOperator(
        task_id="pii_scan",
        project_dir=str(project.root),
        schemas=[project.sources[s].schema_name if s in project.sources else f"raw_{s}" for s in schedule.sources],
        schedule=schedule.name,
        dag=tasks.dag,
    )
    return PipelineStep(after_dbt=[task])
