"""The Airflow side of the warehouse: `DangoWarehouseHook` gives operators the project's `Warehouse`.

Without `airflow.warehouse_conn_id` it is the dbt profile's target, exactly as the CLI sees it. With it, the Airflow
connection is turned into a dbt target by Cosmos's profile mapping (the same mapping the Cosmos dbt tasks use), so
dbt, dlt, the checks and the audit tables all reach that one database. Secrets stay in the task's environment as the
`env_var()` references Cosmos uses; they are never written to a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_dango.config import load_project
from airflow_provider_dango.warehouse import BACKENDS, Warehouse, WarehouseConfigError, bind_profile, for_project
from airflow_provider_dango.warehouse.target import resolve_target, target_names


def profile_mapping(conn_id: str, project: Any = None) -> Any:
    """Cosmos's profile mapping of the warehouse connection; a missing connection is one clear line (a DAG import
    error at parse time, the first error line of a task), and retrying will not create it.

    With `project`, a PostgreSQL connection gets its dbt schema (`connection_schema`): Cosmos maps the connection's
    `schema` field to dbt's `dbname`, as Airflow's Postgres connection means it, and dbt-postgres needs a schema."""
    from airflow.sdk.exceptions import AirflowNotFoundException
    from cosmos.profiles import get_automatic_profile_mapping

    try:
        mapping = get_automatic_profile_mapping(conn_id)
    except AirflowNotFoundException:
        raise WarehouseConfigError(
            f".dango/project.yml: airflow.warehouse_conn_id: Airflow connection {conn_id!r} does not exist "
            f"(create it with `airflow connections add {conn_id} ...` or an AIRFLOW_CONN_{conn_id.upper()} variable)"
        ) from None
    if project is not None and mapping.dbt_profile_type in SCHEMA_REQUIRED:
        mapping = get_automatic_profile_mapping(conn_id, {"schema": connection_schema(project, conn_id)})
    return mapping


SCHEMA_REQUIRED = ("postgres",)


def connection_schema(project: Any, conn_id: str) -> str:
    """The dbt schema for a server connection: `airflow.warehouse_schema`, else the dbt target's `schema` when that
    target is the same kind of server (a DuckDB scaffold's `main` is no PostgreSQL schema), else one line naming the
    key to set."""
    configured = project.settings.airflow.warehouse_schema
    if configured:
        return configured
    try:
        names = target_names(project)
        if names.type in SCHEMA_REQUIRED:
            schema = resolve_target(project).schema
            if schema:
                return str(schema)
    except WarehouseConfigError:
        pass  # no usable profiles.yml: the key is the way
    raise WarehouseConfigError(
        f".dango/project.yml: airflow.warehouse_schema: not set, and Airflow connection {conn_id!r} is PostgreSQL, "
        "whose `schema` field is the database: set airflow.warehouse_schema to the dbt schema (e.g. analytics)"
    )


def connection_profile(conn_id: str, project: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """(dbt target data, environment its env_var() references need) for an Airflow connection, via Cosmos."""
    mapping = profile_mapping(conn_id, project)
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
            kind = profile_mapping(self.warehouse_conn_id).dbt_profile_type
        else:
            kind = target_names(self.project).type
        return bool(BACKENDS[kind].SERIALISE_WRITERS) if kind in BACKENDS else True

    def get_warehouse(self) -> Warehouse:
        if self.warehouse_conn_id and getattr(self.project, "_warehouse_profile", None) is None:
            profile, env = connection_profile(self.warehouse_conn_id, self.project)
            os.environ.update(env)
            return bind_profile(self.project, profile)
        return for_project(self.project)


def load_project_with_warehouse(project_dir: str) -> Any:
    """`load_project`, with the warehouse bound to the Airflow connection when the project names one."""
    project = load_project(project_dir)
    if project.settings.airflow.warehouse_conn_id:
        DangoWarehouseHook(project).get_warehouse()
    return project


# --- dbt tasks hold the DuckDB lock for their whole run ---
# Cosmos runs dbt in the task's process and dbt-duckdb keeps the file open, so a dbt task takes the same lock as every
# other warehouse task before dbt starts (pre_execute) and gives it back once dbt is done (the Cosmos callback, which
# runs on failures too, and post_execute); the process ending releases it in any case. With this, a pool of more than
# one slot costs waiting, never a lock error.
_dbt_task_locks: dict[str, Any] = {}


def hold_for_dbt_task(context: Any = None, *, project_dir: str) -> None:
    """`pre_execute` of Cosmos dbt tasks: wait for and hold the warehouse (DuckDB only; a no-op on a server)."""
    from airflow_provider_dango.warehouse import duckdb as duckdb_backend

    warehouse = DangoWarehouseHook(load_project(project_dir)).get_warehouse()
    if warehouse.path is None or str(warehouse.path) in _dbt_task_locks:
        return
    handle = duckdb_backend.acquire(warehouse.path, warehouse.lock_timeout_s)
    try:
        duckdb_backend.check_not_held_elsewhere(warehouse.path)  # a foreign holder: one line, before dbt starts
    except BaseException:
        duckdb_backend.release(handle)
        raise
    _dbt_task_locks[str(warehouse.path)] = handle


def release_after_dbt_task(*_args: Any, **_kwargs: Any) -> None:
    """Give back what `hold_for_dbt_task` took (closing dbt's DuckDB handle first); safe to call twice."""
    from airflow_provider_dango.warehouse import duckdb as duckdb_backend

    while _dbt_task_locks:
        duckdb_backend.release(_dbt_task_locks.popitem()[1])


def after_cosmos_dbt(tmp_project_dir: str, context: Any = None, **kwargs: Any) -> None:
    """The Cosmos callback of dango's dbt tasks: record the node results for the audit trail, then release."""
    from airflow_provider_dango.audit.dbt_results import record_cosmos_run_results
    from airflow_provider_dango.hooks.dbt_outcome import add_failing_tests, record_dbt_outcome

    project = None
    try:
        record_cosmos_run_results(tmp_project_dir, context, **kwargs)
        # Failed tests or broken SQL: the retry policy fails the task at once, the alert names the tests.
        project = load_project_with_warehouse(kwargs["project_dir"]) if kwargs.get("project_dir") else None
        if project is not None and record_dbt_outcome(project, Path(tmp_project_dir) / "target", context) is None:
            project = None
    finally:
        release_after_dbt_task()
    if project is not None:
        add_failing_tests(project, context)
