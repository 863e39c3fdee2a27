"""Per-source staleness: the newest successful sync of each source, compared with `stale_threshold_hours`.

Unlike Dango (which looks only after a successful sync), this runs on its own clock (the `dango_stale_check` DAG, or
`dango alerts stale`), so a source whose sync DAG stopped running altogether is still reported. A source that was
never synced counts from the first time the check saw it. Each staleness episode is alerted once per severity:
`warn` past the threshold, `critical` past twice the threshold.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_dango.alerts.events import Event, Severity
from airflow_provider_dango.alerts.outbox import Outbox
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, qualified

if TYPE_CHECKING:
    from airflow_provider_dango.config import DangoProject

log = logging.getLogger("airflow_provider_dango.alerts")


@dataclass
class SourceFreshness:
    source: str
    schedule: str | None
    last_sync: dt.datetime | None
    age_hours: float
    stale: bool
    severity: Severity | None


def newest_syncs(project: DangoProject) -> dict[str, dt.datetime]:
    """{source: newest loaded_at} from `dango.load_stats` (written by every successful sync)."""

    warehouse = for_project(project)
    if not warehouse.table_exists(META_SCHEMA, "load_stats"):
        return {}
    rows = warehouse.rows(f"SELECT source, max(loaded_at) FROM {qualified('load_stats')} GROUP BY 1")
    out = {}
    for source, loaded_at in rows:
        if loaded_at is not None:
            out[source] = loaded_at if loaded_at.tzinfo else loaded_at.replace(tzinfo=dt.timezone.utc)
    return out


def watched_sources(project: DangoProject) -> dict[str, str]:
    """{source: schedule} for every source synced by an enabled schedule whose alerts include `stale`."""
    out: dict[str, str] = {}
    for schedule in project.schedules:
        if not schedule.enabled or schedule.type.value not in ("sync", "sync_only"):
            continue
        if schedule.notify_on and "stale" not in schedule.notify_on:
            continue
        for source in schedule.sources:
            out.setdefault(source, schedule.name)
    return out


def freshness(project: DangoProject, outbox: Outbox, now: dt.datetime | None = None) -> list[SourceFreshness]:
    now = now or dt.datetime.now(dt.timezone.utc)
    threshold = project.notifications.stale_threshold_hours
    newest = newest_syncs(project)
    out = []
    for source, schedule in sorted(watched_sources(project).items()):
        last = newest.get(source)
        reference = last
        if reference is None:
            seen = outbox.get_state(f"stale.first_seen.{source}")
            if seen is None:
                outbox.set_state(f"stale.first_seen.{source}", now.isoformat())
                reference = now
            else:
                reference = dt.datetime.fromisoformat(seen)
        age = max(0.0, (now - reference).total_seconds() / 3600)
        severity = None
        if age >= 2 * threshold:
            severity = Severity.CRITICAL
        elif age >= threshold:
            severity = Severity.WARN
        out.append(SourceFreshness(source, schedule, last, age, severity is not None, severity))
    return out


def stale_events(project: DangoProject, outbox: Outbox, now: dt.datetime | None = None) -> list[Event]:
    """New sync_stale events (one per source, staleness episode and severity)."""
    events = []
    threshold = project.notifications.stale_threshold_hours
    for f in freshness(project, outbox, now):
        if not f.stale or f.severity is None:
            continue
        episode = f"{f.last_sync.isoformat() if f.last_sync else 'never'}:{f.severity.label}"
        state_key = f"stale.alerted.{f.source}"
        if outbox.get_state(state_key) == episode:
            continue
        outbox.set_state(state_key, episode)
        last = f.last_sync.isoformat() if f.last_sync else "never"
        events.append(
            Event(
                type="sync_stale",
                severity=f.severity,
                schedule=f.schedule,
                sources=[f.source],
                stale_hours=round(f.age_hours, 1),
                summary=f"no successful sync of {f.source} for {f.age_hours:.1f} h (threshold {threshold:g} h)",
                details={"last_successful_sync": last, "threshold_hours": threshold},
                key=f"{f.source}@{episode}",
            )
        )
    return events


def run_stale_check(project: DangoProject, now: dt.datetime | None = None) -> dict[str, int]:
    """Emit new stale alerts, then retry whatever is pending in the outbox. Returns counts for the log."""
    from airflow_provider_dango.alerts import complete, outbox_for, router_for

    router = router_for(project)
    outbox = outbox_for(project)
    events = stale_events(project, outbox, now)
    for event in events:
        router.emit(complete(project, event))
    flushed = router.flush()
    return {"stale_alerts": len(events), "redelivered": flushed.delivered, "still_pending": flushed.pending}
