"""Alerts: one router for every dango event, with Slack, HTTP, Teams and email transports. No Airflow import.

Pillars return typed Events from `Result.events()` and `steps.finish` sends them; anything else uses:

    from airflow_provider_dango.alerts import Event, emit
    emit(project, Event(type="schema_drift_detected", severity="error", schedule="shop_daily", sources=["shop"],
                        dag_id=..., run_id=..., task_id=..., summary="2 breaking changes in raw_shop.orders",
                        details={"table": "raw_shop.orders", "removed": ["amount"]}, key="raw_shop.orders"))

`emit(project, event) -> EmitResult | None` takes an `Event` only (a dict is a TypeError) and otherwise never
raises: routing, dedup, delivery and the outbox are handled here, and a problem in alerting is logged, not
propagated into the task. Event types: sync_completed, sync_failed, sync_retrying, sync_stale,
schema_drift_detected, pii_detected, metric_alert, dbt_test_failed, dag_failed.
Severities: info, warn, error, critical (default per type). `key` is what dedup compares (the same type and key are
sent once per `dedup_window_minutes`); without it the schedule and sources are used. `details` values must be
JSON-serialisable and must not hold unmasked PII. `run_url` is filled from `dag_id` and `run_id` when not given.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_provider_dango.alerts.events import EVENT_TYPES, Event, Severity
from airflow_provider_dango.alerts.outbox import Outbox
from airflow_provider_dango.alerts.router import EmitResult, Router, route
from airflow_provider_dango.flushing import FlushResult

if TYPE_CHECKING:
    from airflow_provider_dango.config import DangoProject

__all__ = [
    "EVENT_TYPES",
    "EmitResult",
    "Event",
    "FlushResult",
    "Outbox",
    "Router",
    "Severity",
    "emit",
    "outbox_for",
    "outbox_path",
    "route",
    "router_for",
    "run_url",
]

log = logging.getLogger("airflow_provider_dango.alerts")
OUTBOX_ENV = "DANGO_ALERTS_OUTBOX"


def outbox_path(project: DangoProject) -> Path:
    """DANGO_ALERTS_OUTBOX, else `notifications.outbox_path` (relative to the project), else next to the warehouse."""
    env = os.environ.get(OUTBOX_ENV)
    if env:
        return Path(env)
    configured = project.notifications.outbox_path
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else project.root / path
    from airflow_provider_dango.warehouse import for_project

    return for_project(project).anchor.parent / "dango_alerts.sqlite"


def outbox_for(project: DangoProject) -> Outbox:
    """The project's outbox: a file named by DANGO_ALERTS_OUTBOX or `notifications.outbox_path` when set; else, with a
    server warehouse, the warehouse itself (shared by every worker, so alerts survive a worker being replaced);
    else the SQLite file next to the DuckDB warehouse."""
    if not os.environ.get(OUTBOX_ENV) and not project.notifications.outbox_path:
        from airflow_provider_dango.warehouse import for_project

        warehouse = for_project(project)
        if warehouse.path is None:
            return Outbox.in_warehouse(warehouse)
    return Outbox(outbox_path(project))


def run_url(project: DangoProject, dag_id: str | None, run_id: str | None) -> str | None:
    """The run in the Airflow 3 UI (`airflow.base_url` in project.yml)."""
    if not dag_id:
        return None
    base = project.settings.airflow.base_url.rstrip("/")
    return f"{base}/dags/{quote(dag_id, safe='')}" + (f"/runs/{quote(run_id, safe='')}" if run_id else "")


def router_for(project: DangoProject, **kwargs: Any) -> Router:
    schedules = {s.name: s for s in project.schedules}

    def notify_on(event: Event) -> list[str]:
        if event.schedule in schedules:
            return list(schedules[event.schedule].notify_on)
        return []

    return Router(project.notifications, outbox_for(project), notify_on=notify_on, **kwargs)


def complete(project: DangoProject, event: Event) -> Event:
    if not event.run_url and event.dag_id:
        event.run_url = run_url(project, event.dag_id, event.run_id)
    if not event.dag_id and event.schedule:
        event.dag_id = f"dango_{event.schedule}"
    return event


def emit(project: DangoProject, event: Event) -> EmitResult | None:
    """Send a typed `Event` through the project's router. Never raises; returns None when alerting itself broke
    (logged)."""
    if not isinstance(event, Event):
        raise TypeError(f"emit() takes an alerts.Event, not {type(event).__name__}")
    try:
        return router_for(project).emit(complete(project, event))
    except Exception:
        log.exception("dango alerts: could not process event %s", getattr(event, "type", event))
        return None
