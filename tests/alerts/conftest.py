"""Fixtures for alerts: a real HTTP receiver and a real SMTP server on 127.0.0.1, fast retry settings."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_dango.alerts import Outbox, Router
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.config import NotificationsConfig


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def free_port() -> int:
    """A port nobody listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email

        msg = email.message_from_bytes(envelope.content)
        self.messages.append((envelope.rcpt_tos, msg))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


def make_router(tmp_path: Path, webhooks: list[dict], **config: Any) -> Router:
    cfg = NotificationsConfig.model_validate({"webhooks": webhooks, "retry_delays_seconds": [0.01, 0.02], **config})
    return Router(cfg, Outbox(tmp_path / "outbox.sqlite"), cooldown_s=0)


@pytest.fixture(autouse=True)
def _forget_project_modules() -> Iterator[None]:
    """Tests here import `pipelines.*` from temporary project copies: forget them afterwards, so a later test's
    project (another copy, same package name) imports its own."""
    import sys

    before = {k for k in sys.modules if k == "pipelines" or k.startswith("pipelines.")}
    yield
    for key in [k for k in sys.modules if (k == "pipelines" or k.startswith("pipelines.")) and k not in before]:
        del sys.modules[key]
