"""The pillar contract (core, no Airflow import). Sync, drift, PII and monitors each expose

    run_step(project, scope, run_id, schedule) -> Result

and every Result offers `as_dict()` (JSON / XCom), `summary()` (one line for people, like dlt's LoadInfo),
`events()` (typed alert `Event`s) and `audit_rows()` (rows for `dango_audit_check_results`, keyed by the same run id
as the pillar's own result rows). `finish` is the one place that writes those rows and sends those events, so the
Airflow operators and the `dango` commands do exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from airflow_provider_dango.alerts import emit
from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.audit import record_check_result

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """What one step covers, and where it runs.

    sources / schemas / tables   what to look at (None: the pillar's default, usually everything)
    dag_id                       the Airflow DAG (None from the CLI), stored on audit rows
    as_of                        monitors: judge the latest complete bucket before this time
    full, sample_rows            PII: scan every row / sample size
    alerts                       send the result's events through the alert router (the CLI only reports)
    """

    sources: list[str] | None = None
    schemas: list[str] | None = None
    tables: list[str] | None = None
    dag_id: str | None = None
    as_of: Any = None
    full: bool = False
    sample_rows: int | None = None
    alerts: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRow:
    """One check verdict for the audit trail (`audit.record_check_result`)."""

    run_id: str
    check: str
    target: str
    status: str
    severity: str
    details: Mapping[str, Any] | None = None


@runtime_checkable
class Result(Protocol):
    run_id: str

    def as_dict(self) -> dict[str, Any]: ...

    def summary(self) -> str: ...

    def events(self) -> list[Event]: ...

    def audit_rows(self) -> list[AuditRow]: ...


def new_run_id(prefix: str = "cli") -> str:
    """A run id for a run outside Airflow (Airflow's own run id is used inside it)."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{prefix}:{stamp}:{uuid.uuid4().hex[:8]}"


def finish(project: Any, result: Result, scope: Scope) -> Result:
    """Write the result's audit rows (same run id) and, when the scope asks for alerts, send its events."""

    rows = result.audit_rows()
    for i, row in enumerate(rows):
        try:
            record_check_result(
                project,
                row.run_id,
                row.check,
                row.target,
                row.status,
                row.severity,
                dict(row.details) if row.details is not None else None,
                dag_id=scope.dag_id,
                flush_now=i == len(rows) - 1,
            )
        except Exception as exc:  # the audit trail must never break the check itself
            log.warning("dango: could not record %s on %s in the audit trail: %s", row.check, row.target, exc)
    if scope.alerts:
        for event in result.events():
            level = logging.ERROR if event.level.label in ("error", "critical") else logging.WARNING
            log.log(level, "dango event %s: %s", event.type, event.error or event.summary)
            emit(project, event)
    return result
