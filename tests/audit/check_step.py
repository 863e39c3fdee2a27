"""A stand-in pillar for the audit tests: a task between sync and dbt that records check results the way drift / PII /
monitor tasks do, while holding the warehouse lock (re-entrant: its record neither deadlocks nor waits)."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.warehouse import for_project


def _check(**context: Any) -> None:
    import os

    from airflow_provider_dango.audit import record_check_result
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import warehouse_lock

    project = load_project(os.environ["DANGO_PROJECT_DIR"])
    run_id = context["run_id"]
    with warehouse_lock(for_project(project).path):
        record_check_result(
            project, run_id, "drift", "raw_shop.orders", "pass", "info", {"changes": 0}, dag_id=context["dag"].dag_id
        )
        record_check_result(
            project,
            run_id,
            "monitor:orders_count",
            "raw_shop.orders",
            "flag",
            "warn",
            {"z": 3.1},
            dag_id=context["dag"].dag_id,
        )


def pipeline_step(project: Any, schedule: Any, tasks: Any) -> Any:
    from airflow.providers.standard.operators.python import PythonOperator

    from airflow_provider_dango.operators.pipeline import PipelineStep

    return PipelineStep(after_sync=[PythonOperator(task_id="audit_probe_checks", python_callable=_check)])
