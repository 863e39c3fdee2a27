"""Slack incoming webhooks: one attachment in Dango's colours holding Block Kit blocks built with slack_sdk's models.

Sent with a plain HTTPS POST rather than slack_sdk's WebhookClient, which logs the webhook URL (a secret) at DEBUG.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from airflow_provider_dango.alerts.events import Event, Severity
from airflow_provider_dango.alerts.transports.base import WebhookTransport

# Dango's colours: completed green, failed red, stale amber, drift/metric orange.
COLOURS = {
    "sync_completed": "#2eb886",
    "sync_failed": "#e01e5a",
    "sync_retrying": "#e01e5a",
    "dag_failed": "#e01e5a",
    "dbt_test_failed": "#e01e5a",
    "sync_stale": "#ecb22e",
    "schema_drift_detected": "#e0a514",
    "pii_detected": "#e0a514",
    "metric_alert": "#e0a514",
    "test": "#439fe0",
}
ICONS = {
    Severity.INFO: ":white_check_mark:",
    Severity.WARN: ":warning:",
    Severity.ERROR: ":x:",
    Severity.CRITICAL: ":rotating_light:",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_blocks(event: Event) -> list[dict[str, Any]]:
    header = f"{event.title}" + (f": {event.schedule}" if event.schedule else "")
    lines = []
    for label, value in event.facts():
        if label == "Error":
            lines.append(f"*Error:*\n```{_escape(value)[:2800]}```")
        else:
            lines.append(f"*{_escape(label)}:* {_escape(value)}")
    text = "\n".join(lines) or "_no details_"
    blocks: list[Any] = [
        HeaderBlock(text=header[:150]),
        SectionBlock(text=MarkdownTextObject(text=text[:3000])),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{ICONS[event.level]} {event.level.label} · `{event.type}` · {event.timestamp[:19]}Z"
                )
            ]
        ),
    ]
    buttons = []
    if event.dashboard_url:
        buttons.append(ButtonElement(text="View Dashboard", url=event.dashboard_url, action_id="dashboard"))
    if event.run_url:
        buttons.append(ButtonElement(text="View run in Airflow", url=event.run_url, action_id="airflow_run"))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return [b.to_dict() for b in blocks]


def slack_payload(event: Event) -> dict[str, Any]:
    fallback = f"{event.title}" + (f": {event.schedule}" if event.schedule else "")
    return {
        "text": fallback,
        "attachments": [{"color": COLOURS.get(event.type, "#e0a514"), "blocks": slack_blocks(event)}],
    }


class SlackTransport(WebhookTransport):
    def send(self, event: Event) -> None:
        # Idempotency-Key is the same on every retry: a receiver can drop repeats.
        headers = {**self.webhook.resolve_headers(), "X-Dango-Event-Id": event.event_id}
        headers["Idempotency-Key"] = event.event_id
        self.post_json(slack_payload(event), headers=headers)
