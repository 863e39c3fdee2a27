"""Loading a project for a command: with `airflow.warehouse_conn_id`, the warehouse is that Airflow connection."""

from __future__ import annotations

from typing import Any


def load(project_dir: str) -> Any:
    from airflow_provider_dango.config import load_project

    project = load_project(project_dir)
    if project.settings.airflow.warehouse_conn_id:
        from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook

        DangoWarehouseHook(project).get_warehouse()
    return project
