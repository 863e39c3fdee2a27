"""Turning Airflow objects into audit rows, kept apart from the hook declarations so it reads (and tests) plainly.

Nothing here raises into Airflow: `listener.py` wraps every call. Airflow objects are read with getattr only, so the
same code serves the task runner's RuntimeTaskInstance and the scheduler's / API server's TaskInstance.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from airflow_provider_dango.alerts import run_url

log = logging.getLogger(__name__)

PROJECT_ENV = "DANGO_PROJECT_DIR"
DANGO_TAG = "dango"
ERROR_LIMIT = 2000
FINAL_TASK_STATES = {"success", "failed", "skipped", "upstream_failed", "removed"}


@lru_cache(maxsize=16)
def _load(root: str) -> Any:
    from airflow_provider_dango.config import load_project

    return load_project(root)


@lru_cache(maxsize=16)
def _load_settings_only(root: str) -> Any:
    """Just `.dango/project.yml` (where the warehouse is): what a task event needs, in about a millisecond instead of
    the full load (sources, schedules) that a fresh task process would otherwise pay on every task."""
    import yaml

    from airflow_provider_dango.config import DangoProject
    from airflow_provider_dango.config.project import ProjectFile

    path = Path(root) / ".dango" / "project.yml"
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) if path.exists() else {}
        return DangoProject(root=Path(root), settings=ProjectFile.model_validate(data or {}))
    except Exception:
        return _load(root)  # let the full loader deal with (and report) whatever is odd


def project_for(project_dir: str | None, fileloc: str | None, settings_only: bool = False) -> Any:
    """The dango project a DAG belongs to: the task's `project_dir`, $DANGO_PROJECT_DIR, or the DAG file's project
    (`<project>/dags/<file>.py`, as `dango init` lays it out). None when there is none."""
    candidates = [project_dir, os.environ.get(PROJECT_ENV)]
    if fileloc:
        candidates.append(str(Path(fileloc).resolve().parent.parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / ".dango").is_dir():
            root = str(Path(candidate).resolve())
            return _load_settings_only(root) if settings_only else _load(root)
    return None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    return str(value)


def _seconds(start: Any, end: Any) -> float | None:
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        if start.tzinfo is None:
            start = start.replace(tzinfo=dt.timezone.utc)
        if end.tzinfo is None:
            end = end.replace(tzinfo=dt.timezone.utc)
        return round((end - start).total_seconds(), 3)
    return None


def error_summary(error: Any) -> str | None:
    """`Type: message` of a task's error, one paragraph, bounded (it ends up in a view people read at 03:00)."""
    if error is None:
        return None
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    text = " ".join(text.split())
    return text[:ERROR_LIMIT] or None


def _state(value: Any) -> str:
    return str(getattr(value, "value", value) or "").lower()


def is_dango_dag(dag: Any) -> bool | None:
    """True/False when the DAG's tags are known, None when they are not (state changed through the API)."""
    tags = getattr(dag, "tags", None)
    if tags is None:
        return None
    return DANGO_TAG in set(tags)


def task_row(ti: Any, state: str, error: Any = None) -> tuple[Any, dict[str, Any]] | None:
    """(project, row) for a task instance event, or None when the task is not part of a dango DAG."""
    task = getattr(ti, "task", None)
    dag = getattr(task, "dag", None)
    if is_dango_dag(dag) is False:
        return None
    project = project_for(getattr(task, "project_dir", None), getattr(dag, "fileloc", None), settings_only=True)
    if project is None:
        return None
    start = getattr(ti, "start_date", None)
    end = getattr(ti, "end_date", None)
    if end is None and state in FINAL_TASK_STATES:
        end = dt.datetime.now(dt.timezone.utc)
    operator = getattr(task, "task_type", None) or getattr(ti, "operator", None)
    map_index = getattr(ti, "map_index", -1)
    row = {
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": -1 if map_index is None else int(map_index),
        "try_number": int(getattr(ti, "try_number", 0) or 0),
        "state": state,
        "operator": operator,
        "started_at": _iso(start),
        "ended_at": _iso(end) if state in FINAL_TASK_STATES else None,
        "duration_s": _seconds(start, end) if state in FINAL_TASK_STATES else None,
        "error_summary": error_summary(error),
    }
    return project, row


def dag_run_rows(dag_run: Any, msg: str | None) -> tuple[Any, dict[str, Any], list[dict[str, Any]]] | None:
    """(project, DAG run row, final task rows from the metadata DB) at a DAG run's end; None if not dango's."""
    dag = getattr(dag_run, "dag", None)
    if is_dango_dag(dag) is False:
        return None
    project = project_for(None, getattr(dag, "fileloc", None))
    if project is None:
        return None
    params = getattr(dag, "params", None) or {}
    schedule_name = None
    try:
        value = params.get("dango_schedule") if hasattr(params, "get") else None
        schedule_name = getattr(value, "value", value)
    except Exception:
        schedule_name = None
    schedule = next((s for s in project.schedules if s.dag_id == dag_run.dag_id or s.name == schedule_name), None)
    state = _state(getattr(dag_run, "state", ""))
    start, end = getattr(dag_run, "start_date", None), getattr(dag_run, "end_date", None)
    if end is None and state in ("success", "failed"):
        end = dt.datetime.now(dt.timezone.utc)
    row = {
        "project": project.settings.project.name,
        "dag_id": dag_run.dag_id,
        "run_id": dag_run.run_id,
        "schedule": schedule.name if schedule else schedule_name,
        "run_type": _state(getattr(dag_run, "run_type", None)),
        "state": state,
        "started_at": _iso(start),
        "ended_at": _iso(end),
        "duration_s": _seconds(start, end),
        "sources": ",".join(schedule.sources) if schedule else None,
        "message": msg,
        "run_url": run_url(project, dag_run.dag_id, dag_run.run_id),  # the alerts' link, one definition
    }
    tasks = []
    for ti in _task_instances(dag_run):
        ti_state = _state(getattr(ti, "state", None))
        if ti_state not in FINAL_TASK_STATES:
            continue
        tasks.append(
            {
                "dag_id": dag_run.dag_id,
                "run_id": dag_run.run_id,
                "task_id": ti.task_id,
                "map_index": int(getattr(ti, "map_index", -1)),
                "try_number": int(getattr(ti, "try_number", 0) or 0),
                "state": ti_state,
                "operator": getattr(ti, "operator", None),
                "started_at": _iso(getattr(ti, "start_date", None)),
                "ended_at": _iso(getattr(ti, "end_date", None)),
                "duration_s": getattr(ti, "duration", None),
            }
        )
    return project, row, tasks


def _task_instances(dag_run: Any) -> list[Any]:
    """The run's task instances as the scheduler already holds them (no new DB session inside its transaction)."""
    try:
        return list(getattr(dag_run, "task_instances", None) or [])
    except Exception as exc:
        log.debug("dango audit: task instances of %s not readable: %s", getattr(dag_run, "run_id", "?"), exc)
        return []
