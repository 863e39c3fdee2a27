"""`dango webhook test NAME` (Dango: `dango schedule webhook test NAME`) and `dango alerts status|flush|stale`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import secrets
import time
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
    from airflow_provider_dango.alerts import Outbox, outbox_path

    rows = [d for d in Outbox(outbox_path(project)).deliveries() if d["event_id"] == event.event_id]
    reason = rows[0]["last_error"] if rows else "unknown error"
    state = "kept in the outbox for retry" if result.pending else "not retried (permanent error)"
    err_console.print(f"error: delivery to {args.name} failed: {reason}; {state}", markup=False)
    return 1


def run_status(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import Outbox, outbox_path

    project = _project(args)
    outbox = Outbox(outbox_path(project))
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
    console.print(f"outbox: {outbox.path}", markup=False)
    return 0


def run_flush(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import router_for

    result = router_for(_project(args)).flush(force=True)
    console.print(f"delivered {result.delivered}, still pending {result.pending}, failed {result.failed}")
    return 0 if result.pending == 0 else 1


def run_stale(args: argparse.Namespace) -> int:
    from airflow_provider_dango.alerts import Outbox, outbox_path
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
        for f in freshness(project, Outbox(outbox_path(project)))
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


def demo_section(project: Any, dag: Any, dag_run: Any, console: Any) -> None:
    """Start a receiver on 127.0.0.1, send it this demo's alerts (Slack Block Kit + signed HTTP JSON), show dedup."""
    from airflow_provider_dango.alerts import Event, Outbox, complete, outbox_path, router_for
    from airflow_provider_dango.alerts.receiver import Receiver
    from airflow_provider_dango.alerts.transports.http import verify_signature
    from airflow_provider_dango.config import Webhook

    secret = secrets.token_hex(16)
    os.environ["DANGO_DEMO_WEBHOOK_SECRET"] = secret
    console.rule("Alerts")
    with Receiver() as receiver:
        hooks = [
            Webhook(name="demo-slack", url=receiver.url("/slack"), format="slack"),
            Webhook(name="demo-http", url=receiver.url("/http"), secret="${DANGO_DEMO_WEBHOOK_SECRET}"),
        ]
        notifications = project.notifications.model_copy(update={"webhooks": hooks, "retry_delays_seconds": [0.2]})
        demo_project = dataclasses.replace(project, notifications=notifications)
        router = router_for(demo_project)
        started = getattr(dag_run, "start_date", None)
        since = started.timestamp() - 1 if started else time.time() - 3600
        everything = Outbox(outbox_path(project)).events_since(since)
        recorded = [(e, outcome) for e, outcome in everything if outcome != "suppressed"]
        kinds = ", ".join(sorted({e.type for e, _ in recorded})) or "none"
        unsent = "" if project.notifications.webhooks else " (this project has no webhooks yet, so none were sent)"
        repeats = len(everything) - len(recorded)
        suppressed = f"; {repeats} repeat(s) within the dedup window were suppressed" if repeats else ""
        console.print(
            f"The demo runs recorded {len(recorded)} alert(s) in the outbox: {kinds}{unsent}{suppressed}. Replaying "
            f"them to a local receiver at {receiver.url()} as Slack Block Kit and as signed JSON:"
        )
        for event, _ in recorded:
            event.event_id = Event(type=event.type).event_id
            router.send_now(event, [h.name for h in hooks])
        if not recorded:
            router.send_now(
                complete(
                    project,
                    Event(
                        type="sync_completed",
                        schedule=dag.dag_id.removeprefix("dango_"),
                        dag_id=dag.dag_id,
                        run_id=dag_run.run_id,
                    ),
                ),
                [h.name for h in hooks],
            )
        # Dedup under flapping: fail, success, fail, success -> one failure alert, one recovery.
        flapping = "demo_flapping"
        for kind in ("sync_failed", "sync_completed", "sync_failed", "sync_completed"):
            router.emit(
                complete(
                    project,
                    Event(
                        type=kind,
                        schedule=flapping,
                        sources=["shop"],
                        error="HTTP 503 from the shop API" if kind == "sync_failed" else None,
                        key=flapping,
                    ),
                )
            )
        by_event: dict[str, dict[str, Any]] = {}
        for r in sorted(receiver.received, key=lambda r: r.at):
            entry = by_event.setdefault(r.headers.get("X-Dango-Event-Id", ""), {})
            body = r.json
            if r.path == "/http":
                ok = verify_signature(
                    secret, r.headers.get("X-Dango-Timestamp", ""), r.raw, r.headers.get("X-Dango-Signature", "")
                )
                recovered = " (recovered)" if body["recovered"] else ""
                entry.update(
                    event=body["event"] + recovered,
                    severity=body["severity"],
                    schedule=body["schedule"] or "",
                    http="HMAC ok" if ok else "BAD SIGNATURE",
                )
            else:
                blocks = body["attachments"][0]["blocks"]
                entry["slack"] = f"{body['attachments'][0]['color']}, {len(blocks)} blocks"
        keys = ("event", "severity", "schedule", "slack", "http")
        rows = [[e.get(k, "-") for k in keys] for e in by_event.values()]
        from rich.table import Table

        received = Table(title="Alerts received on 127.0.0.1", title_justify="left", show_edge=False, pad_edge=False)
        for column in ("event", "severity", "schedule", "Slack", "JSON"):
            received.add_column(column)
        for row in rows:
            received.add_row(*row)
        console.print(received)
        console.print(
            "4 flapping events (fail, success, fail, success) for `demo_flapping` gave one failure alert and one "
            "recovery per transport. Configure real destinations under `notifications.webhooks` "
            "(formats slack, generic, teams, email) and try `dango webhook test NAME`."
        )
