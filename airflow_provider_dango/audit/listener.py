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
            # Every process that opens a DuckDB warehouse holds its lock while the file is open (dbt tasks
            # included), so the flush only has to find the lock free: if it is taken, the events stay spooled.
            result = flush(project)
            if result.pending:
                log.info("dango audit: %d event(s) stay spooled (warehouse busy or unavailable)", result.pending)
    except Exception as exc:
        log.warning("dango audit: DAG run event not recorded: %s", exc)


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
