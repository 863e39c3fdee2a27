"""airflow-provider-dango: Dango's scheduling, drift, PII, monitors and alerts for dlt + dbt on Airflow."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def get_provider_info() -> dict[str, Any]:
    """Provider metadata read by Airflow's ProvidersManager (entry point group `apache_airflow_provider`)."""
    return {
        "package-name": "airflow-provider-dango",
        "name": "Dango",
        "description": "Schedules from `.dango/*.yml`, dlt syncs, Cosmos dbt, schema drift, PII scanning, "
        "metric monitors and alerts.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Dango",
                "external-doc-url": "https://github.com/dango-airflow/airflow-provider-dango",
                "tags": ["software"],
            }
        ],
        "operators": [
            {
                "integration-name": "Dango",
                "python-modules": ["airflow_provider_dango.operators.sync", "airflow_provider_dango.notifications"],
            }
        ],
        "notifications": [
            "airflow_provider_dango.notifications.DangoTaskFailureNotifier",
            "airflow_provider_dango.notifications.DangoRetryNotifier",
            "airflow_provider_dango.notifications.DangoSuccessNotifier",
            "airflow_provider_dango.notifications.DangoDagFailureNotifier",
        ],
        "plugins": [
            {"name": "dango_audit", "plugin-class": "airflow_provider_dango.audit.plugin.DangoAuditPlugin"},
            {"name": "dango_ui", "plugin-class": "airflow_provider_dango.ui.plugin.DangoUIPlugin"},
            {"name": "dango_pools", "plugin-class": "airflow_provider_dango.hooks.pools.DangoPoolsPlugin"},
        ],
    }
