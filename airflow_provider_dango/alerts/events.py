"""The event model: Dango's event names plus `dbt_test_failed` and `dag_failed`, a severity, and the context to act on.

Plain Python, no Airflow import. Build one with `Event(type=..., ...)`; every field but `type` is optional.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 10
    WARN = 20
    ERROR = 30
    CRITICAL = 40

    @classmethod
    def parse(cls, value: str | int | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        if isinstance(value, int):
            return cls(value)
        name = value.strip().upper()
        if name == "WARNING":
            name = "WARN"
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown severity {value!r}: use info, warn, error or critical") from None

    @property
    def label(self) -> str:
        return self.name.lower()


# event name -> (category as in Dango's notifications block, default severity)
EVENT_TYPES: dict[str, tuple[str, Severity]] = {
    "sync_completed": ("success", Severity.INFO),
    "sync_failed": ("failure", Severity.ERROR),
    "sync_retrying": ("failure", Severity.WARN),
    "sync_stale": ("stale", Severity.WARN),
    "schema_drift_detected": ("governance", Severity.WARN),
    "pii_detected": ("governance", Severity.WARN),
    "metric_alert": ("analysis", Severity.WARN),
    "dbt_test_failed": ("failure", Severity.ERROR),
    "dag_failed": ("failure", Severity.ERROR),
    "test": ("test", Severity.INFO),  # `dango webhook test`: bypasses routing
}
CATEGORIES = ("failure", "success", "stale", "governance", "analysis")

TITLES = {
    "sync_completed": "Sync completed",
    "sync_failed": "Sync failed",
    "sync_retrying": "Sync retrying",
    "sync_stale": "Data is stale",
    "schema_drift_detected": "Schema drift detected",
    "pii_detected": "PII detected",
    "metric_alert": "Metric alert",
    "dbt_test_failed": "dbt test failed",
    "dag_failed": "DAG run failed",
    "test": "Test notification",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Event:
    """One thing that happened. Only `type` is required; `severity` defaults per type (see EVENT_TYPES).

    Fields (all optional but `type`):
      schedule, sources            which schedule / sources it concerns
      dag_id, run_id, task_id      where in Airflow; `run_url` links to the run in the Airflow UI
      error                        the error text (failures)
      duration_seconds, rows_loaded ({table: rows}), stale_hours, attempt_number, next_retry_at (ISO string)
      summary                      one line for humans, e.g. "2 of 14 metrics flagged"
      details                      free-form facts: offending values (masked), the metric and its driver, the
                                   failing test's name, the drifted columns... shown as key: value lines
      key                          what dedup compares: the same (type, key) within the window is sent once.
                                   Default: schedule + sources (+ attempt for retries, + task for test failures)
      recovered                    set by the router when a success follows an alerted failure
    Example: `Event(type="metric_alert", severity="warn", schedule="shop_daily", summary="revenue -34%",
    details={"metric": "revenue", "change_pct": -34.2, "driver": "currency=EUR"}, key="revenue")`.
    """

    type: str
    severity: Severity | str | None = None
    schedule: str | None = None
    sources: list[str] = field(default_factory=list)
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    run_url: str | None = None
    dashboard_url: str | None = None
    error: str | None = None
    duration_seconds: float | None = None
    rows_loaded: dict[str, int] | None = None
    stale_hours: float | None = None
    attempt_number: int | None = None
    next_retry_at: str | None = None
    summary: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    recovered: bool = False
    timestamp: str = field(default_factory=lambda: _now().isoformat())
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            known = ", ".join(t for t in EVENT_TYPES if t != "test")
            raise ValueError(f"unknown event type {self.type!r}; known: {known}")
        self.severity = EVENT_TYPES[self.type][1] if self.severity is None else Severity.parse(self.severity)
        self.sources = list(self.sources or [])

    @property
    def category(self) -> str:
        return EVENT_TYPES[self.type][0]

    @property
    def level(self) -> Severity:
        return Severity.parse(self.severity)  # type: ignore[arg-type]

    @property
    def title(self) -> str:
        title = TITLES[self.type]
        if self.type == "sync_completed" and self.recovered:
            title = "Recovered: sync completed"
        return title

    @property
    def dedup_key(self) -> str:
        if self.key:
            return self.key
        parts = [self.schedule or "", ",".join(sorted(self.sources))]
        if self.type == "sync_retrying":
            parts.append(f"{self.task_id}#{self.attempt_number}")
        if self.type in ("dbt_test_failed", "sync_failed", "dag_failed") and self.task_id:
            parts.append(self.task_id)
        return "|".join(parts)

    @property
    def subject(self) -> str:
        """What the event is about, for dedup of failure/recovery pairs: the schedule, else the key."""
        return self.schedule or self.dedup_key

    def link(self) -> str | None:
        return self.run_url or self.dashboard_url

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.level.label
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=str, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Event:
        return cls.from_dict(json.loads(text))

    def facts(self) -> list[tuple[str, str]]:
        """Human-readable (label, value) lines shared by every transport."""
        out: list[tuple[str, str]] = []
        if self.schedule:
            out.append(("Schedule", self.schedule))
        if self.sources:
            out.append(("Sources", ", ".join(self.sources)))
        if self.rows_loaded is not None:
            total = sum(self.rows_loaded.values())
            out.append(("Rows", f"{total:,} in {len(self.rows_loaded)} table(s)"))
        if self.duration_seconds is not None:
            out.append(("Duration", f"{self.duration_seconds:.1f} s"))
        if self.stale_hours is not None:
            out.append(("Stale", f"{self.stale_hours:.1f} h since the last successful sync"))
        if self.attempt_number is not None:
            retry = f", next retry at {self.next_retry_at}" if self.next_retry_at else ""
            out.append(("Attempt", f"{self.attempt_number}{retry}"))
        if self.task_id:
            out.append(("Task", self.task_id))
        if self.summary:
            out.append(("Summary", self.summary))
        for k, v in self.details.items():
            out.append((str(k), v if isinstance(v, str) else json.dumps(v, default=str)))
        if self.error:
            out.append(("Error", _clip(self.error, 1500)))
        return out


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
