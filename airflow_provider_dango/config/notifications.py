"""The `notifications:` block of `.dango/schedules.yml`, in Dango's format plus our additions.

Dango's keys load unchanged: `webhooks: [{name, url, format: generic|slack}]`, `on_failure`, `on_success`, `on_stale`,
`on_governance`, `on_analysis`, `stale_threshold_hours`.

Our additions per webhook: `format: teams|email`, `events:` (only these event names), `min_severity:`, `headers:`
(values may be `${ENV_VAR}`), `secret:` (HMAC-SHA256 signing key: `${ENV_VAR}` or `conn:<conn_id>`, never plain
text), `to:` (email recipients) and `timeout_seconds`.
Top-level additions: `dedup_window_minutes`, `retry_delays_seconds`,
`outbox_path`, `lease_seconds`, `stale_check_cron`, `stale_check`.

Webhook URLs are secrets. Dango keeps them in the YAML; we accept that for compatibility but prefer `${ENV_VAR}`
or an Airflow connection id (`conn_id`), and `dango validate` warns about a literal URL. Every secret is resolved at
send time and never logged.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from airflow_provider_dango.config.base import DangoModel

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_CONN_REF = re.compile(r"^conn:([A-Za-z0-9_.-]+)$")

EVENT_NAMES = (
    "sync_completed",
    "sync_failed",
    "sync_retrying",
    "sync_stale",
    "schema_drift_detected",
    "pii_detected",
    "metric_alert",
    "dbt_test_failed",
    "dag_failed",
    "test",
)
SeverityName = Literal["info", "warn", "error", "critical"]
# Header names whose values are credentials: they must come from the environment, not the YAML.
_SECRET_HEADER = re.compile(r"authorization|token|secret|api[-_]?key|password", re.IGNORECASE)


def resolve_env_ref(value: str | None) -> str | None:
    """`${NAME}` -> the environment variable's value (None when unset); any other string as is."""
    if value is None:
        return None
    ref = _ENV_REF.match(value)
    return os.environ.get(ref.group(1)) if ref else value


class Webhook(DangoModel):
    """One alert destination."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    url: str | None = None
    conn_id: str | None = None
    format: Literal["generic", "slack", "teams", "email"] = "generic"
    # Our additions.
    events: list[str] = []
    min_severity: SeverityName = "info"
    headers: dict[str, str] = {}
    secret: str | None = None
    to: list[str] = []
    timeout_seconds: float = Field(default=10, gt=0)

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in EVENT_NAMES]
        if unknown:
            raise ValueError(f"unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENT_NAMES[:-1])}")
        return value

    @field_validator("secret")
    @classmethod
    def _secret_ref(cls, value: str | None) -> str | None:
        if value is not None and not (_ENV_REF.match(value) or _CONN_REF.match(value)):
            raise ValueError("secret must be ${ENV_VAR} or conn:<conn_id>; a signing key never goes in the YAML")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> Webhook:
        if self.format == "email":
            if not self.to:
                raise ValueError(f"webhook {self.name!r}: format email needs `to:` (a list of addresses)")
            bad = [a for a in self.to if "@" not in a]
            if bad:
                raise ValueError(f"webhook {self.name!r}: not an email address: {', '.join(bad)}")
            if self.url and not re.match(r"^(smtps?://|\$\{)", self.url):
                raise ValueError(f"webhook {self.name!r}: an email url must be smtp://host:port or ${{ENV_VAR}}")
            return self
        if self.to:
            raise ValueError(f"webhook {self.name!r}: `to:` is only for format email")
        if not self.url and not self.conn_id:
            raise ValueError(f"webhook {self.name!r} needs `url` (for example ${{SLACK_WEBHOOK_URL}}) or `conn_id`")
        if self.url and not _ENV_REF.match(self.url) and not re.match(r"^https?://", self.url):
            raise ValueError(f"webhook {self.name!r}: url must start with http:// or https:// or be ${{ENV_VAR}}")
        return self

    @property
    def url_is_plaintext(self) -> bool:
        if not self.url or _ENV_REF.match(self.url):
            return False
        # An SMTP url is a secret only when it carries credentials (smtp://user:password@host).
        return self.format != "email" or "@" in self.url.split("://", 1)[-1]

    @property
    def plaintext_secret_headers(self) -> list[str]:
        """Header names that look like credentials but carry a literal value."""
        return [k for k, v in self.headers.items() if _SECRET_HEADER.search(k) and not _ENV_REF.match(v)]

    def resolve_url(self) -> str | None:
        """The real URL at send time: environment reference expanded. Never log the result."""
        return resolve_env_ref(self.url)

    def resolve_headers(self) -> dict[str, str]:
        """Custom headers with `${ENV}` values expanded (unset variables are left out). Never log the result."""
        out = {}
        for key, value in self.headers.items():
            resolved = resolve_env_ref(value)
            if resolved is not None:
                out[key] = resolved
        return out

    def unset_env_refs(self) -> list[tuple[str, str]]:
        """(key, variable) for each `${VAR}` this webhook names that is not set in this process's environment."""
        refs = [("url", self.url), ("secret", self.secret), *((f"headers.{k}", v) for k, v in self.headers.items())]
        out = []
        for key, value in refs:
            ref = _ENV_REF.match(value or "")
            if ref and ref.group(1) not in os.environ:
                out.append((key, ref.group(1)))
        return out

    @property
    def conn_ids(self) -> list[str]:
        """Airflow connections this webhook needs: `conn_id`, and `secret: conn:<id>`."""
        return [c for c in (self.conn_id, self.secret_conn_id) if c]

    @property
    def secret_conn_id(self) -> str | None:
        ref = _CONN_REF.match(self.secret or "")
        return ref.group(1) if ref else None


class NotificationsConfig(DangoModel):
    """Which events go out; Dango's defaults are all-on with a 24 h staleness threshold."""

    webhooks: list[Webhook] = []
    on_failure: bool = True
    on_success: bool = True
    on_stale: bool = True
    on_governance: bool = True
    on_analysis: bool = True
    stale_threshold_hours: float = Field(default=24, gt=0)
    # Our additions.
    dedup_window_minutes: float = Field(default=60, ge=0)
    retry_delays_seconds: list[float] = Field(default=[5, 15], description="waits between attempts (Dango: 5 s, 15 s)")
    outbox_path: str | None = None
    lease_seconds: float | None = Field(
        default=None,
        gt=0,
        description="how long a sender keeps an alert to itself before others may retry it; "
        "default: every attempt's timeout and wait, plus 30 s",
    )
    stale_check_cron: str = "*/15 * * * *"
    stale_check: bool = Field(
        default=True,
        description="generate the dango_stale_check DAG whenever a webhook and a source exist; false turns it off",
    )

    @field_validator("retry_delays_seconds")
    @classmethod
    def _delays(cls, value: list[float]) -> list[float]:
        if any(d < 0 for d in value) or len(value) > 10:
            raise ValueError("retry_delays_seconds: at most 10 non-negative numbers")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> NotificationsConfig:
        names = [w.name for w in self.webhooks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate webhook name(s): {', '.join(dupes)}")
        return self
