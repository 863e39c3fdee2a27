"""The Airflow plugin that registers dango's audit listener (entry point group `airflow.plugins`)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_dango.audit import listener


class DangoAuditPlugin(AirflowPlugin):
    name = "dango_audit"
    listeners = [listener]
