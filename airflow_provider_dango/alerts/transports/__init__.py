"""Transports: Slack (Block Kit), generic HTTP JSON (Dango's keys, optional HMAC), Teams (Adaptive Card), email."""

from __future__ import annotations

from airflow_provider_dango.alerts.transports.base import DeliveryError, Transport, build_transport

__all__ = ["DeliveryError", "Transport", "build_transport"]
