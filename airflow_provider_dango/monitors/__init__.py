"""Metric monitors: collection and verdict in SQL (dbt package), trend and drill-down here. See core.py."""

from airflow_provider_dango.monitors.core import MonitorResult, run_monitors

__all__ = ["MonitorResult", "run_monitors"]
