"""The Airflow pool that dango's DuckDB DAGs use exists before any task needs it.

A task assigned to a pool that does not exist waits in `scheduled` forever while the scheduler only logs about it, so
the provider creates the pool (one slot: DuckDB allows one writer at a time) when the scheduler (or any Airflow job)
starts, through this listener (registered by the plugin). It creates the default `dango_warehouse` and the pool named
by the project in `$DANGO_PROJECT_DIR`; it never resizes a pool someone made on purpose. `pool_problems` reports a
pool that is missing or has more than one slot.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

from airflow_provider_dango.config.project import AirflowSettings

log = logging.getLogger(__name__)
DESCRIPTION = "dango: warehouse tasks of DuckDB projects (one writer at a time)"


def pool_names() -> set[str]:
    """The default pool, and the one `$DANGO_PROJECT_DIR`'s project names, when that project's warehouse is DuckDB.

    A project on a server warehouse (PostgreSQL) needs no pool: its tasks run in parallel, so none is created for it.
    """
    names = {AirflowSettings().pool}
    project_dir = os.environ.get("DANGO_PROJECT_DIR")
    if project_dir:
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook

        try:
            project = load_project(project_dir)
            if not DangoWarehouseHook(project).serialise_writers():
                return set()
            names.add(project.settings.airflow.pool)
        except Exception as exc:  # a broken project is reported by its DAG import errors, not here
            log.warning("dango: could not read the pool name of %s: %s", project_dir, exc)
    return names


def ensure_pools(names: set[str]) -> list[str]:
    """Create each missing pool with one slot; returns the names created."""
    from airflow.models.pool import Pool

    created = []
    for name in sorted(names):
        if Pool.get_pool(name) is None:
            Pool.create_or_update_pool(name=name, slots=1, description=DESCRIPTION, include_deferred=False)
            log.warning("dango: created the Airflow pool %r with 1 slot (DuckDB allows one writer at a time)", name)
            created.append(name)
    return created


def pool_problems(names: set[str]) -> list[str]:
    """One line per pool that is missing or wider than one slot (for `dango validate --airflow`)."""
    from airflow.models.pool import Pool

    problems = []
    for name in sorted(names):
        pool = Pool.get_pool(name)
        if pool is None:
            problems.append(f"Airflow pool {name!r} does not exist: the scheduler creates it when it starts, "
                            f"or run `airflow pools set {name} 1 dango`")
        elif pool.slots != 1:
            problems.append(f"Airflow pool {name!r} has {pool.slots} slots: DuckDB tasks then wait on the warehouse "
                            f"lock instead of the pool (safe, but they hold worker slots while waiting); use 1")
    return problems


@hookimpl
def on_starting(component: Any) -> None:
    """Every Airflow job (scheduler, dag-processor, triggerer) calls this as it starts, before its `job_type` is
    even set; each has the metadata database, and creating a pool that exists is a no-op, so any of them may do it.
    Task processes call it too, with a marker instead of a job, and may not use the database: skipped."""
    if type(component).__name__ != "Job":
        return
    try:
        ensure_pools(pool_names())
    except Exception as exc:
        if ensure_pools_lost_race(exc):
            return
        log.error("dango: could not create the warehouse pool, dango tasks will wait for it: %s", exc)


def ensure_pools_lost_race(exc: Exception) -> bool:
    """Two jobs starting together may both create the pool; the second one's unique-key error is harmless."""
    return type(exc).__name__ == "IntegrityError"


class DangoPoolsPlugin(AirflowPlugin):
    """Registers this module's `on_starting` listener (entry point `dango_pools` in group `airflow.plugins`)."""

    name = "dango_pools"
    listeners = [sys.modules[__name__]]
