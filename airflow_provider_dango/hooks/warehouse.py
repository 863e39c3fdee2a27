"""The Airflow side of the warehouse: `DangoWarehouseHook` gives operators the project's `Warehouse`.

Without `airflow.warehouse_conn_id` it is the dbt profile's target, exactly as the CLI sees it. With it, the Airflow
connection is turned into a dbt target by Cosmos's profile mapping (the same mapping the Cosmos dbt tasks use), so
dbt, dlt, the checks and the audit tables all reach that one database. Secrets stay in the task's environment as the
`env_var()` references Cosmos uses; they are never written to a file.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_dango.config import load_project
from airflow_provider_dango.warehouse import BACKENDS, Warehouse, bind_profile, for_project
from airflow_provider_dango.warehouse.target import target_names


def connection_profile(conn_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(dbt target data, environment its env_var() references need) for an Airflow connection, via Cosmos."""
    from cosmos.profiles import get_automatic_profile_mapping

    mapping = get_automatic_profile_mapping(conn_id)
    return dict(mapping.profile), dict(mapping.env_vars)


class DangoWarehouseHook(BaseHook):
    """The project's warehouse for operators and callbacks: `DangoWarehouseHook(project).get_warehouse()`."""

    conn_name_attr = "warehouse_conn_id"
    hook_name = "Dango warehouse"

    def __init__(self, project: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = project
        self.warehouse_conn_id = project.settings.airflow.warehouse_conn_id

    def get_conn(self) -> Warehouse:
        return self.get_warehouse()

    def serialise_writers(self) -> bool:
        """Whether the DAGs must put warehouse tasks in the one-slot pool (DuckDB), decided without rendering
        credentials: DAG parsing stays fast."""
        if self.warehouse_conn_id:
            from cosmos.profiles import get_automatic_profile_mapping

            kind = get_automatic_profile_mapping(self.warehouse_conn_id).dbt_profile_type
        else:
            kind = target_names(self.project).type
        return bool(BACKENDS[kind].SERIALISE_WRITERS) if kind in BACKENDS else True

    def get_warehouse(self) -> Warehouse:
        if self.warehouse_conn_id and getattr(self.project, "_warehouse_profile", None) is None:
            profile, env = connection_profile(self.warehouse_conn_id)
            os.environ.update(env)
            return bind_profile(self.project, profile)
        return for_project(self.project)


def load_project_with_warehouse(project_dir: str) -> Any:
    """`load_project`, with the warehouse bound to the Airflow connection when the project names one."""
    project = load_project(project_dir)
    if project.settings.airflow.warehouse_conn_id:
        DangoWarehouseHook(project).get_warehouse()
    return project
