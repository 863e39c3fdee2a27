"""Secrets at send time: environment variables and Airflow connections. Nothing here logs a value.

`get_connection(conn_id)` reads `AIRFLOW_CONN_<ID>` (URI or JSON, as Airflow does) without importing Airflow, then
asks the lookups registered with `register_lookup`: the Airflow adapter (`airflow_provider_dango.hooks`) registers
Airflow's own (secrets backends, metadata database), so this core module never imports Airflow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class SecretNotFound(LookupError):
    """A referenced environment variable or connection does not exist (the message names it, never a value)."""


@dataclass
class ConnInfo:
    conn_type: str | None = None
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def secret_values(self) -> list[str]:
        return [v for v in (self.password, self.extra.get("webhook_url"), self.extra.get("url")) if v]


def _from_uri(uri: str) -> ConnInfo:
    parts = urlsplit(uri)
    extra: dict[str, Any] = dict(parse_qsl(parts.query))
    if "__extra__" in extra:
        extra = json.loads(extra["__extra__"])
    return ConnInfo(
        conn_type=parts.scheme.replace("-", "_") or None,
        host=unquote(parts.hostname) if parts.hostname else None,
        port=parts.port,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=unquote(parts.path.lstrip("/")) or None,
        extra=extra,
    )


def _from_json(text: str) -> ConnInfo:
    data = json.loads(text)
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    return ConnInfo(
        conn_type=data.get("conn_type"),
        host=data.get("host"),
        port=int(data["port"]) if data.get("port") else None,
        login=data.get("login"),
        password=data.get("password"),
        schema=data.get("schema"),
        extra=extra,
    )


_LOOKUPS: list[Callable[[str], ConnInfo]] = []


def register_lookup(lookup: Callable[[str], ConnInfo]) -> None:
    """Add a connection lookup tried after the environment (once per function)."""
    if lookup not in _LOOKUPS:
        _LOOKUPS.append(lookup)


def get_connection(conn_id: str) -> ConnInfo:
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if raw:
        return _from_json(raw) if raw.lstrip().startswith("{") else _from_uri(raw)
    if not _LOOKUPS:
        raise SecretNotFound(f"connection {conn_id!r} not found (set AIRFLOW_CONN_{conn_id.upper()})")
    errors = []
    for lookup in _LOOKUPS:
        try:
            return lookup(conn_id)
        except Exception as exc:
            errors.append(type(exc).__name__)
    raise SecretNotFound(f"connection {conn_id!r} not found: {', '.join(errors)}")


def url_from_connection(conn: ConnInfo) -> str:
    """A webhook URL from a connection: `extra.webhook_url`/`extra.url`, a URL in the password (Slack's
    `slackwebhook` connection: host + password token), or scheme://host:port/schema."""
    for key in ("webhook_url", "url"):
        if conn.extra.get(key):
            return str(conn.extra[key])
    if conn.password and conn.password.startswith(("http://", "https://")):
        return conn.password
    host = conn.host or ""
    if host.startswith(("http://", "https://")):
        base = host.rstrip("/")
    else:
        scheme = "https" if (conn.conn_type or "").lower() in ("https", "slackwebhook") else "http"
        if not host:
            raise SecretNotFound("the connection has no host or URL")
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    path = conn.schema or ""
    if conn.password and (conn.conn_type or "").lower() == "slackwebhook":
        path = conn.password
    return base + ("/" + path.lstrip("/") if path else "")


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value (and its obvious fragments) replaced by ***."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
