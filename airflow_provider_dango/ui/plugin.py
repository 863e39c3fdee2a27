"""The Airflow plugin (entry point group `airflow.plugins`): the /dango app and its places in the UI."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_dango.ui.app import PREFIX, create_app

NAV = [("Catalog", "catalog"), ("Monitors", "monitors"), ("Governance", "governance"), ("Runs", "runs")]


class DangoUIPlugin(AirflowPlugin):
    name = "dango_ui"
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "dango"}]
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
