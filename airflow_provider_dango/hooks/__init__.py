"""Airflow hooks: thin adapters over the core. Importing this package lets the alert transports read Airflow
connections (secrets backends, metadata database) through `alerts.secrets.register_lookup`."""

from __future__ import annotations

from airflow_provider_dango.alerts.secrets import ConnInfo, register_lookup


def airflow_connection(conn_id: str) -> ConnInfo:
    """An Airflow connection as the alert transports see it."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    return ConnInfo(
        conn_type=conn.conn_type,
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        extra=conn.extra_dejson or {},
    )


register_lookup(airflow_connection)
