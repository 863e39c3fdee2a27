"""The Airflow plugin (entry point group `airflow.plugins`): the /dango app and its places in the UI.

Every Airflow process loads every plugin (a task process does, to find listeners), but only the api-server mounts
FastAPI apps. The app is therefore built on first access of `fastapi_apps`: importing FastAPI and Airflow's API
security module cost a task several seconds of start-up when this module built it at import time.
"""

from __future__ import annotations

import functools
from typing import Any

from airflow.plugins_manager import AirflowPlugin

PREFIX = "/dango"  # where the api-server mounts the app (also `ui.app.PREFIX`)
NAV = [("Catalog", "catalog"), ("Monitors", "monitors"), ("Governance", "governance"), ("Runs", "runs")]


@functools.cache
def _apps() -> list[dict[str, Any]]:
    from airflow_provider_dango.ui.app import create_app

    return [{"app": create_app(), "url_prefix": PREFIX, "name": "dango"}]


class _LazyApps:
    """Class attribute that builds the app list when the api-server (or plugin listing) reads it."""

    def __get__(self, instance: Any, owner: type) -> list[dict[str, Any]]:
        return _apps()


class DangoUIPlugin(AirflowPlugin):
    name = "dango_ui"
    fastapi_apps = _LazyApps()  # type: ignore[assignment]
    external_views = [
        *[
            {
                "name": label,
                "href": f"{PREFIX}/{page}",
                "destination": "nav",
                "category": "dango",
                "url_route": f"dango_{page}",
            }
            for label, page in NAV
        ],
        {
            "name": "dango catalog",
            "href": f"{PREFIX}/task/{{DAG_ID}}/{{TASK_ID}}",
            "destination": "task_instance",
            "url_route": "dango_task",
        },
    ]
