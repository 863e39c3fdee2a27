"""The alerts story of `dango demo`: real Slack-format and signed JSON webhooks on 127.0.0.1, dedup and recovery."""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from typing import Any

from airflow_provider_dango.alerts import Event, complete, outbox_for, router_for
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.alerts.transports.http import verify_signature
from airflow_provider_dango.config import Webhook


def story(project: Any, dag: Any, dag_run: Any, console: Any) -> None:
    """Start a receiver on 127.0.0.1, send it this demo's alerts (Slack Block Kit + signed HTTP JSON), show dedup."""

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
        everything = outbox_for(project).events_since(since)
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
