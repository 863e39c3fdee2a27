"""`dango webhook test NAME` (Dango: `dango schedule webhook test NAME`) and `dango alerts status|flush|stale`."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, table


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    def add_test(sub: Any) -> None:
        p = sub.add_parser("test", parents=[common], help="send a test event to one webhook")
        p.add_argument("name", help="webhook name from the notifications: block")
        p.add_argument("--event", default="test", help="event type to send (default: test)")
        p.set_defaults(func=run_test)

    webhook = subparsers.add_parser("webhook", help="webhooks of the notifications: block")
    add_test(webhook.add_subparsers(dest="webhook_command", required=True))
    schedule = subparsers.add_parser("schedule", help="Dango's spelling: `dango schedule webhook test NAME`")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", required=True)
    sched_webhook = schedule_sub.add_parser("webhook", help="same as `dango webhook`")
    add_test(sched_webhook.add_subparsers(dest="webhook_command", required=True))

    alerts = subparsers.add_parser("alerts", help="the alert outbox: status, flush, stale check")
    sub = alerts.add_subparsers(dest="alerts_command", required=True)
    sub.add_parser("status", parents=[common], help="deliveries per webhook, and the latest failures").set_defaults(
        func=run_status
    )
    sub.add_parser("flush", parents=[common], help="retry pending deliveries now").set_defaults(func=run_flush)
    sub.add_parser("stale", parents=[common], help="check source freshness now and alert").set_defaults(func=run_stale)


def _project(args: argparse.Namespace) -> Any:
    from airflow_provider_dango.config import load_project

    return load_project(args.project_dir)


def run_test(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import Event, router_for

    project = _project(args)
    names = [w.name for w in project.notifications.webhooks]
    if args.name not in names:
        err_console.print(
            f"error: no webhook named {args.name!r} in .dango/schedules.yml; known: {', '.join(names) or 'none'}",
            markup=False,
        )
        return 1
    event = Event(
        type=args.event,
        schedule="webhook_test",
        sources=sorted(project.sources)[:3],
        summary=f"Test notification from `dango webhook test {args.name}`",
        dashboard_url=project.settings.airflow.base_url,
    )
    result = router_for(project, retry_delays=[1]).send_now(event, [args.name])
    if result.delivered:
        console.print(f"ok: test event delivered to {args.name}", markup=False)
        return 0
    from airflow_provider_dango.alerts import outbox_for

    rows = [d for d in outbox_for(project).deliveries() if d["event_id"] == event.event_id]
    reason = rows[0]["last_error"] if rows else "unknown error"
    state = "kept in the outbox for retry" if result.pending else "not retried (permanent error)"
    err_console.print(f"error: delivery to {args.name} failed: {reason}; {state}", markup=False)
    return 1


def run_status(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import outbox_for

    project = _project(args)
    outbox = outbox_for(project)
    counts = outbox.counts()
    rows = [
        [w.name, w.format, c.get("delivered", 0), c.get("pending", 0), c.get("failed", 0)]
        for w in project.notifications.webhooks
        for c in [counts.get(w.name, {})]
    ]
    table("Alert deliveries", ["webhook", "format", "delivered", "pending", "failed"], rows, right={2, 3, 4})
    problems = outbox.deliveries("pending", 10) + outbox.deliveries("failed", 10)
    if problems:
        table(
            "Undelivered",
            ["when", "event", "webhook", "status", "attempts", "last error"],
            [
                [
                    dt.datetime.fromtimestamp(d["created_at"]).strftime("%Y-%m-%d %H:%M"),
                    d["type"],
                    d["webhook"],
                    d["status"],
                    d["attempts"],
                    d["last_error"] or "",
                ]
                for d in problems
            ],
        )
    console.print(f"outbox: {outbox.where}", markup=False)
    return 0


def run_flush(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import router_for

    result = router_for(_project(args)).flush(force=True)
    console.print(f"delivered {result.delivered}, still pending {result.pending}, failed {result.failed}")
    return 0 if result.pending == 0 else 1


def run_stale(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import outbox_for
    from airflow_provider_dango.alerts.stale import freshness, run_stale_check

    project = _project(args)
    rows = [
        [
            f.source,
            f.schedule,
            f.last_sync.isoformat(timespec="seconds") if f.last_sync else "never",
            f"{f.age_hours:.1f}",
            f.severity.label if f.severity else "fresh",
        ]
        for f in freshness(project, outbox_for(project))
    ]
    table(
        f"Freshness (threshold {project.notifications.stale_threshold_hours:g} h)",
        ["source", "schedule", "last successful sync", "hours", "status"],
        rows,
        right={3},
    )
    counts = run_stale_check(project)
    console.print(f"stale alerts sent: {counts['stale_alerts']}, outbox redelivered: {counts['redelivered']}")
    return 0
