"""The Airflow pool that dango's DuckDB DAGs use exists before any task needs it.

A task assigned to a pool that does not exist waits in `scheduled` forever while the scheduler only logs about it
(Airflow 3.3 never hands the DAG processor its known pools, so its own "non-existent pool" DAG warning never appears).
The provider therefore creates the pool (one slot: DuckDB allows one writer at a time) through two listeners
(registered by the plugin):

- `on_starting`: when the scheduler (or any Airflow job) starts, the default `dango_warehouse` and the pool named by
  the project in `$DANGO_PROJECT_DIR`;
- `on_dag_run_running`: in the scheduler, as a run of a dango DAG starts and before any of its tasks is scheduled,
  every pool its tasks use, for any project: a pool deleted after the scheduler started, or named by a project that
  is not `$DANGO_PROJECT_DIR`'s, is created again, with one warning line naming the pool and the DAG.

Neither ever resizes a pool someone made on purpose. `pool_problems` reports a pool that is missing or has more than
one slot (`dango validate --airflow` and a banner on the dango pages in the Airflow UI).
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
            problems.append(f"Airflow pool {name!r} does not exist: the scheduler creates it with 1 slot when it "
                            f"starts or when a dango DAG run starts, or run `airflow pools set {name} 1 dango`")
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


DANGO_TAG = "dango"  # every DAG the factory builds carries it (`dag_factory.build_schedule_dag`)


def _is_dango_dag(dag_run: Any, session: Any) -> bool:
    """A DAG built by dango's factory: its `dango_` id and its `dango` tag (from the DAG the scheduler attached to the
    run, else from the metadata database)."""
    if not str(dag_run.dag_id).startswith("dango_"):
        return False
    dag = getattr(dag_run, "dag", None)
    if dag is not None and getattr(dag, "tags", None) is not None:
        return DANGO_TAG in set(dag.tags)
    from airflow.models.dag import DagTag
    from sqlalchemy import select

    found = session.scalar(select(DagTag.name).where(DagTag.dag_id == dag_run.dag_id, DagTag.name == DANGO_TAG))
    return found is not None


def _run_pools(dag_run: Any, session: Any) -> set[str]:
    """The pools the run's tasks use (their task instances exist once the run is created)."""
    from airflow.models.pool import Pool
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    rows = session.scalars(
        select(TaskInstance.pool)
        .where(TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id)
        .distinct()
    )
    return {name for name in rows if name and name != Pool.DEFAULT_POOL_NAME}


def _insert_pool(session: Any, name: str) -> bool:
    """Add a one-slot pool in `session`'s transaction unless a pool of that name exists (another scheduler may have
    just made it): one `INSERT ... ON CONFLICT DO NOTHING` (`INSERT IGNORE` on MySQL). No savepoint and no commit:
    the scheduler's session forbids commits other than its own (`prohibit_commit`), and a savepoint's release counts
    as one. Returns whether the pool was added."""
    from airflow.models.pool import Pool

    values = {"pool": name, "slots": 1, "description": DESCRIPTION, "include_deferred": False}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        from importlib import import_module

        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        statement = insert(Pool).values(**values).on_conflict_do_nothing(index_elements=["pool"])
    else:
        from sqlalchemy import insert

        statement = insert(Pool).values(**values).prefix_with("IGNORE")
    return session.execute(statement).rowcount == 1


def ensure_run_pools(dag_run: Any, session: Any) -> list[str]:
    """Create, in `session`, each missing pool the tasks of a dango DAG run use, with one slot; returns their names.

    The scheduler's own session is used: on SQLite it already holds the write lock, so a second session would wait
    for it; the pools are committed with the scheduler's own commit, before the run's tasks can be queued.
    """
    from airflow.models.pool import Pool
    from sqlalchemy import select

    if not _is_dango_dag(dag_run, session):
        return []
    created = []
    for name in sorted(_run_pools(dag_run, session)):
        if session.scalar(select(Pool.id).where(Pool.pool == name)) is not None or not _insert_pool(session, name):
            continue
        log.warning(
            "dango: DAG %s uses the Airflow pool %r, which did not exist: created it with 1 slot "
            "(DuckDB allows one writer at a time); its tasks would otherwise wait forever",
            dag_run.dag_id,
            name,
        )
        created.append(name)
    return created


@hookimpl
def on_dag_run_running(dag_run: Any, msg: str) -> None:
    """The scheduler calls this as it starts a queued run (`msg="started"`), before scheduling any of its tasks:
    every pool a dango DAG's tasks use then exists. Never raises (a listener error is only logged by Airflow)."""
    from sqlalchemy.orm import object_session

    try:
        session = object_session(dag_run)
        if session is not None:
            ensure_run_pools(dag_run, session)
            return
        from airflow.utils.session import create_session

        with create_session() as own:
            ensure_run_pools(dag_run, own)  # reads only its ids (and tags), so a detached run will do
    except Exception as exc:
        log.error("dango: could not check the pools of DAG %s, its tasks may wait for a missing pool: %s",
                  getattr(dag_run, "dag_id", "?"), exc)


def ensure_pools_lost_race(exc: Exception) -> bool:
    """Two jobs starting together may both create the pool; the second one's unique-key error is harmless."""
    return type(exc).__name__ == "IntegrityError"


class DangoPoolsPlugin(AirflowPlugin):
    """Registers this module's `on_starting` listener (entry point `dango_pools` in group `airflow.plugins`)."""

    name = "dango_pools"
    listeners = [sys.modules[__name__]]
