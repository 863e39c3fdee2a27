"""`.dango/schedules.yml`: Dango's schedule format plus our Airflow-side additions.

Dango keys and defaults are kept exactly (see shared/reference/dango-compat.md); our additions are `retries`,
`retry_delay_seconds`, `retry_exponential_backoff`, `catchup`, `tags`, `max_active_runs`, `on_assets` and
`dbt_tasks`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from enum import Enum
from typing import Literal

from croniter import croniter
from pydantic import Field, field_validator, model_validator

from airflow_provider_dango.config.base import DangoModel
from airflow_provider_dango.config.notifications import NotificationsConfig

CRON_PRESETS: dict[str, str] = {
    "every_15m": "*/15 * * * *",
    "every_hour": "0 * * * *",
    "every_6h": "0 */6 * * *",
    "daily": "0 6 * * *",
    "weekly": "0 6 * * 1",
}


class ScheduleType(str, Enum):
    SYNC = "sync"
    SYNC_ONLY = "sync_only"
    DBT = "dbt"
    SCRIPT = "script"


NotifyOn = Literal["failure", "success", "stale"]
Catchup = Literal["none", "latest", "all"]
DbtTasks = Literal["per_model", "single"]


def resolve_cron(value: str) -> str:
    """A preset name or a 5-field cron expression -> the cron expression; ValueError when neither."""
    cron = CRON_PRESETS.get(value.strip(), value.strip())
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        presets = ", ".join(CRON_PRESETS)
        raise ValueError(f"invalid cron expression {value!r}: use 5 fields (m h dom mon dow) or a preset ({presets})")
    return cron


class Schedule(DangoModel):
    """One schedule: when to run, what to sync, what dbt to build, and how Airflow retries it."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: ScheduleType = ScheduleType.SYNC
    cron: str | None = None
    sources: list[str] = []
    enabled: bool = True
    timezone: str = "UTC"
    start_date: dt.datetime | dt.date | None = None
    misfire_grace_time: int | None = Field(default=None, gt=0)
    timeout_minutes: int = Field(default=60, gt=0)
    notify_on: list[NotifyOn] = []
    dbt_command: str | None = None
    script_path: str | None = None
    # Our additions.
    retries: int = Field(default=2, ge=0, le=20)
    retry_delay_seconds: int = Field(default=30, gt=0)
    retry_exponential_backoff: bool | float = Field(default=True)
    catchup: Catchup = "latest"
    tags: list[str] = []
    max_active_runs: int = Field(default=1, gt=0)
    on_assets: list[str] = []
    # `per_model`: Cosmos renders a task per model and per model's tests; `single`: one `dbt build` task (one dbt
    # start-up per run: much faster under a real scheduler; per-node results in the audit trail and its XCom).
    dbt_tasks: DbtTasks = "per_model"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else resolve_cron(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'Europe/Berlin'") from None
        return value

    @model_validator(mode="after")
    def _type_rules(self) -> Schedule:
        if self.cron is None and not self.on_assets:
            raise ValueError("`cron` is required (or `on_assets` to run when sources land)")
        if self.cron is not None and self.on_assets:
            raise ValueError("use either `cron` or `on_assets`, not both")
        if self.catchup == "all" and self.start_date is None:
            raise ValueError("catchup: all needs `start_date` (the first run to recover from)")
        if self.type in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY) and not self.sources:
            raise ValueError(f"type {self.type.value} needs at least one entry in `sources`")
        if self.type == ScheduleType.DBT and not self.dbt_command:
            raise ValueError("type dbt needs `dbt_command` (for example 'dbt build --select marts')")
        if self.type == ScheduleType.SYNC_ONLY and self.dbt_command:
            raise ValueError("type sync_only runs no dbt: remove `dbt_command`")
        if self.type == ScheduleType.SCRIPT:
            if not self.script_path:
                raise ValueError("type script needs `script_path` (a file inside scripts/)")
            parts = self.script_path.replace("\\", "/").split("/")
            if parts[0] != "scripts" or ".." in parts or self.script_path.startswith("/"):
                raise ValueError(f"script_path {self.script_path!r} must be inside scripts/")
        return self

    @property
    def dag_id(self) -> str:
        return f"dango_{self.name}"

    @property
    def backoff_multiplier(self) -> float:
        """Airflow's multiplier: `true` gives Dango's 30 s -> 120 s spacing (x4), `false` a constant delay."""
        if isinstance(self.retry_exponential_backoff, bool):
            return 4.0 if self.retry_exponential_backoff else 0.0
        return float(self.retry_exponential_backoff)

    @property
    def runs_dbt(self) -> bool:
        return self.type in (ScheduleType.SYNC, ScheduleType.DBT)


class SchedulesFile(DangoModel):
    """Top level of schedules.yml. Entries are validated one by one (config/__init__.py): one bad one hides none."""

    schedules: list[dict] = []
    notifications: NotificationsConfig = NotificationsConfig()
