"""The Transport protocol, the shared HTTP POST, and how a failure is classified (retry or not)."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from airflow_provider_dango.alerts.secrets import SecretNotFound, get_connection, url_from_connection

if TYPE_CHECKING:
    from airflow_provider_dango.alerts.events import Event
    from airflow_provider_dango.config.notifications import Webhook

USER_AGENT = "airflow-provider-dango-alerts"


class DeliveryError(Exception):
    """A failed send. `retryable` is True for 5xx, 429, timeouts and connection errors; False for other 4xx and
    configuration problems. The message never contains a URL or a secret."""

    def __init__(self, message: str, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@runtime_checkable
class Transport(Protocol):
    """Anything that can deliver an event. `send` returns on success and raises DeliveryError otherwise."""

    name: str

    def send(self, event: Event) -> None: ...


class WebhookTransport:
    """Base for the configured transports: resolves the target at send time and knows its secrets for redaction."""

    def __init__(self, webhook: Webhook) -> None:
        self.webhook = webhook
        self.name = webhook.name
        self._secrets: list[str] = []

    def secrets(self) -> list[str]:
        return list(self._secrets)

    def _remember(self, *values: str | None) -> None:
        self._secrets.extend(v for v in values if v)

    def target_url(self) -> str:
        try:
            url = self.webhook.resolve_url()
            if url is None and self.webhook.url:
                raise SecretNotFound(f"environment variable in {self.webhook.url} is not set")
            if url is None and self.webhook.conn_id:
                conn = get_connection(self.webhook.conn_id)
                self._remember(*conn.secret_values())
                url = url_from_connection(conn)
        except SecretNotFound as exc:
            # Not retried right now, but kept in the outbox: setting the variable later delivers it.
            raise DeliveryError(f"webhook {self.name}: {exc}", retryable=True) from None
        self._remember(url)
        return url or ""

    def post_json(self, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        url = self.target_url()
        data = raw if raw is not None else json.dumps(body, default=str).encode()
        all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        self._remember(*(headers or {}).values())
        post(url, data, all_headers, self.webhook.timeout_seconds, self.name)

    def send(self, event: Event) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def post(url: str, data: bytes, headers: dict[str, str], timeout: float, name: str) -> None:
    """POST and classify the outcome. Error messages name the webhook, never the URL."""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        status = exc.code
        retryable = status >= 500 or status == 429
        raise DeliveryError(f"webhook {name}: HTTP {status}", retryable=retryable, status=status) from None
    except TimeoutError:
        raise DeliveryError(f"webhook {name}: timed out after {timeout:g} s", retryable=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DeliveryError(f"webhook {name}: timed out after {timeout:g} s", retryable=True) from None
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else type(reason).__name__
        raise DeliveryError(f"webhook {name}: connection error ({text})", retryable=True) from None
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise DeliveryError(f"webhook {name}: connection error ({type(exc).__name__})", retryable=True) from None


def build_transport(webhook: Webhook) -> WebhookTransport:
    from airflow_provider_dango.alerts.transports.email import EmailTransport
    from airflow_provider_dango.alerts.transports.http import HttpTransport
    from airflow_provider_dango.alerts.transports.slack import SlackTransport
    from airflow_provider_dango.alerts.transports.teams import TeamsTransport

    kinds = {"generic": HttpTransport, "slack": SlackTransport, "teams": TeamsTransport, "email": EmailTransport}
    return kinds[webhook.format](webhook)
