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
        _audit(project, context.get("run_id"), self.dag_id, result)
        return result.summary()


def _audit(project: Any, run_id: str | None, dag_id: str, result: Any) -> None:
    """One audit row per finding (masked example only); a new, unacknowledged finding is a warning."""
    from airflow_provider_dango.audit import record_check_result

    findings = list(result.findings)
    if not findings:
        record_check_result(
            project,
            run_id or "manual",
            "pii",
            ",".join(result.summary().get("schemas", [])) or "*",
            "pass",
            "info",
            {"findings": 0},
            dag_id=dag_id,
        )
    for i, f in enumerate(findings):
        status = "flag" if f.new and f.status == "detected" else "pass"
        record_check_result(
            project,
            run_id or "manual",
            f"pii:{f.entity}",
            f"{f.table}.{f.column}",
            status,
            "warn" if status == "flag" else "info",
            f.as_json(),
            dag_id=dag_id,
            flush_now=i == len(findings) - 1,
        )


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
