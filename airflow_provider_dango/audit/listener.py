"""Airflow listener: records every dango DAG run and task try in the audit spool, then flushes at the run's end.

Registered by `DangoAuditPlugin` (plugin.py). Each hook only appends to a local SQLite spool (about a millisecond),
so it never slows the task; any error is logged and swallowed, so it never fails the task either. The DAG run hook
(which the scheduler, or `dag.test()`, calls once the run is finished) writes the spool to the warehouse if the
warehouse lock is free right now, and otherwise leaves it for the next flush.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl

from airflow_provider_dango.audit import flush, record_dag_run, record_task_run
from airflow_provider_dango.audit.listener_core import dag_run_rows, task_row

log = logging.getLogger(__name__)


def _task_event(task_instance: Any, state: str, error: Any = None) -> None:
    try:
        found = task_row(task_instance, state, error)
        if found is not None:
            record_task_run(*found)
    except Exception as exc:
        log.warning("dango audit: task event not recorded: %s", exc)


def _dag_run_event(dag_run: Any, msg: str | None) -> None:
    try:
        found = dag_run_rows(dag_run, msg)
        if found is None:
            return
        project, row, tasks = found
        for task in tasks:
            record_task_run(project, task)
        record_dag_run(project, row)
        if row["state"] in ("success", "failed"):
            if _warehouse_tasks_active(project, dag_run):
                log.info("dango audit: warehouse tasks are running; audit events stay spooled for the next flush")
                return
            result = flush(project)
            if result.pending:
                log.info("dango audit: %d event(s) stay spooled (warehouse busy or unavailable)", result.pending)
    except Exception as exc:
        log.warning("dango audit: DAG run event not recorded: %s", exc)


def _warehouse_tasks_active(project: Any, ending: Any) -> bool:
    """True when a task of the warehouse pool is queued or running in another DAG run that is still running.

    dbt tasks (Cosmos) open DuckDB without the file lock, relying on the one-slot pool; the scheduler's flush is
    outside that pool, so it waits for a moment when no warehouse task runs rather than racing one for the file.
    Read on a separate session, so the scheduler's own transaction is left alone.
    """
    try:
        from airflow import settings
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import TaskInstance
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        if settings.engine is None:
            return False
        with Session(bind=settings.engine) as session:
            active = session.scalar(
                select(func.count())
                .select_from(TaskInstance)
                .join(DagRun, (DagRun.dag_id == TaskInstance.dag_id) & (DagRun.run_id == TaskInstance.run_id))
                .where(
                    TaskInstance.pool == project.settings.airflow.pool,
                    TaskInstance.state.in_(["queued", "running"]),
                    # Only runs still going: a task left `running` by a killed process in a finished run (or the
                    # run ending now, whose final state this session cannot see yet) must not block every flush.
                    DagRun.state == "running",
                    ~((DagRun.dag_id == ending.dag_id) & (DagRun.run_id == ending.run_id)),
                )
            )
        return bool(active)
    except Exception as exc:
        log.debug("dango audit: pool occupancy unknown (%s); flushing anyway", exc)
        return False


@hookimpl
def on_task_instance_running(previous_state: Any, task_instance: Any) -> None:
    _task_event(task_instance, "running")


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    _task_event(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    _task_event(task_instance, "failed", error)


@hookimpl
def on_task_instance_skipped(previous_state: Any, task_instance: Any) -> None:
    _task_event(task_instance, "skipped")


@hookimpl
def on_dag_run_running(dag_run: Any, msg: str) -> None:
    _dag_run_event(dag_run, msg)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _dag_run_event(dag_run, msg)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _dag_run_event(dag_run, msg)
