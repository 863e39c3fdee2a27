"""The `notifications:` block of `.dango/schedules.yml`, in Dango's format.

Webhook URLs are secrets. Dango keeps them in the YAML; we accept that for compatibility but prefer `${ENV_VAR}`
or an Airflow connection id (`conn_id`), and `dango validate` warns about a literal URL.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, model_validator

from airflow_provider_dango.config.base import DangoModel

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class Webhook(DangoModel):
    """One alert destination."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    url: str | None = None
    conn_id: str | None = None
    format: Literal["generic", "slack"] = "generic"

    @model_validator(mode="after")
    def _one_target(self) -> Webhook:
        if not self.url and not self.conn_id:
            raise ValueError(f"webhook {self.name!r} needs `url` (for example ${{SLACK_WEBHOOK_URL}}) or `conn_id`")
        if self.url and not _ENV_REF.match(self.url) and not re.match(r"^https?://", self.url):
            raise ValueError(f"webhook {self.name!r}: url must start with http:// or https:// or be ${{ENV_VAR}}")
        return self

    @property
    def url_is_plaintext(self) -> bool:
        return bool(self.url) and not _ENV_REF.match(self.url or "")

    def resolve_url(self) -> str | None:
        """The real URL at send time: environment reference expanded. Never log the result."""
        if not self.url:
            return None
        ref = _ENV_REF.match(self.url)
        return os.environ.get(ref.group(1)) if ref else self.url


class NotificationsConfig(DangoModel):
    """Which events go out; Dango's defaults are all-on with a 24 h staleness threshold."""

    webhooks: list[Webhook] = []
    on_failure: bool = True
    on_success: bool = True
    on_stale: bool = True
    on_governance: bool = True
    on_analysis: bool = True
    stale_threshold_hours: float = Field(default=24, gt=0)

    @model_validator(mode="after")
    def _unique_names(self) -> NotificationsConfig:
        names = [w.name for w in self.webhooks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate webhook name(s): {', '.join(dupes)}")
        return self
