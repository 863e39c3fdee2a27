"""DangoPiiScanOperator: the PII task every generated sync DAG runs after dbt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator


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
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.pii import emit_governance_event, scan

        project = load_project(self.project_dir)
        result = scan(project, schemas=self.schemas or None, run_id=context.get("run_id"))
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
        emit_governance_event(project, result, self.schedule)
        return result.summary()


def pipeline_step(project: Any, schedule: Any, tasks: Any) -> Any:
    """A `pii_scan` task after dbt in every DAG that syncs; it scans the schemas those syncs write."""
    from airflow_provider_dango.dag_factory import PipelineStep

    if not tasks.syncs:
        return None
    task = DangoPiiScanOperator(
        task_id="pii_scan",
        project_dir=str(project.root),
        schemas=[f"raw_{s}" for s in schedule.sources],
        schedule=schedule.name,
        dag=tasks.dag,
    )
    return PipelineStep(after_dbt=[task])
