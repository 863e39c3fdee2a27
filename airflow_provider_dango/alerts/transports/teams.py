"""Microsoft Teams (Workflows / incoming webhook): a message holding one Adaptive Card (schema 1.4)."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.alerts.events import Event, Severity
from airflow_provider_dango.alerts.transports.base import WebhookTransport

# Adaptive Card text colours.
COLOURS = {Severity.INFO: "Good", Severity.WARN: "Warning", Severity.ERROR: "Attention", Severity.CRITICAL: "Attention"}


def adaptive_card(event: Event) -> dict[str, Any]:
    facts = [{"title": label, "value": value[:1000]} for label, value in event.facts() if label != "Error"]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Large",
            "weight": "Bolder",
            "color": COLOURS[event.level],
            "text": event.title + (f": {event.schedule}" if event.schedule else ""),
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
            "text": f"{event.level.label} · {event.type} · {event.timestamp[:19]}Z",
        },
        {"type": "FactSet", "facts": facts},
    ]
    if event.error:
        body.append(
            {
                "type": "TextBlock",
                "text": event.error[:2000],
                "wrap": True,
                "fontType": "Monospace",
                "color": "Attention",
            }
        )
    actions = []
    if event.dashboard_url:
        actions.append({"type": "Action.OpenUrl", "title": "View Dashboard", "url": event.dashboard_url})
    if event.run_url:
        actions.append({"type": "Action.OpenUrl", "title": "View run in Airflow", "url": event.run_url})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class TeamsTransport(WebhookTransport):
    def send(self, event: Event) -> None:
        # Idempotency-Key is the same on every retry: a receiver can drop repeats.
        headers = {**self.webhook.resolve_headers(), "X-Dango-Event-Id": event.event_id}
        headers["Idempotency-Key"] = event.event_id
        self.post_json(adaptive_card(event), headers=headers)
