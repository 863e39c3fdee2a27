"""Generic HTTP JSON: Dango's payload keys, our extra keys, custom headers and an optional HMAC-SHA256 signature.

Signature: `X-Dango-Timestamp: <unix seconds>` and `X-Dango-Signature: sha256=<hex>` where hex is
HMAC-SHA256(secret, b"<timestamp>." + body). Receivers check it with `verify_signature` (and reject old timestamps).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.alerts.secrets import SecretNotFound, get_connection
from airflow_provider_dango.alerts.transports.base import DeliveryError, WebhookTransport
from airflow_provider_dango.config.notifications import resolve_env_ref

SIGNATURE_HEADER = "X-Dango-Signature"
TIMESTAMP_HEADER = "X-Dango-Timestamp"


def generic_payload(event: Event) -> dict[str, Any]:
    """Dango's keys first (same names and meaning), then ours."""
    return {
        "event": event.type,
        "schedule": event.schedule,
        "sources": event.sources,
        "error": event.error,
        "duration_seconds": event.duration_seconds,
        "timestamp": event.timestamp,
        "dashboard_url": event.dashboard_url or event.run_url,
        "rows_loaded": sum(event.rows_loaded.values()) if event.rows_loaded is not None else None,
        "stale_hours": event.stale_hours,
        "attempt_number": event.attempt_number,
        "next_retry_at": event.next_retry_at,
        "metadata": {
            **event.details,
            **({"rows_by_table": event.rows_loaded} if event.rows_loaded else {}),
            **({"summary": event.summary} if event.summary else {}),
        },
        # Additions.
        "event_id": event.event_id,
        "severity": event.level.label,
        "category": event.category,
        "title": event.title,
        "recovered": event.recovered,
        "dag_id": event.dag_id,
        "run_id": event.run_id,
        "task_id": event.task_id,
        "run_url": event.run_url,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, tolerance_s: float = 300) -> bool:
    """True when `signature` matches and `timestamp` is within `tolerance_s` of now (replay protection)."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class HttpTransport(WebhookTransport):
    def signing_key(self) -> str | None:
        ref = self.webhook.secret
        if not ref:
            return None
        try:
            if self.webhook.secret_conn_id:
                key = get_connection(self.webhook.secret_conn_id).password
            else:
                key = resolve_env_ref(ref)
            if not key:
                raise SecretNotFound(f"signing secret {ref} is not set")
        except SecretNotFound as exc:
            raise DeliveryError(f"webhook {self.name}: {exc}", retryable=True) from None
        self._remember(key)
        return key

    def send(self, event: Event) -> None:
        body = json.dumps(generic_payload(event), default=str).encode()
        headers = self.webhook.resolve_headers()
        key = self.signing_key()
        if key:
            ts = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = ts
            headers[SIGNATURE_HEADER] = sign(key, ts, body)
        headers["X-Dango-Event"] = event.type
        headers["X-Dango-Event-Id"] = event.event_id
        headers["Idempotency-Key"] = event.event_id  # the same on every retry: a receiver can drop repeats
        self.post_json(None, headers=headers, raw=body)
