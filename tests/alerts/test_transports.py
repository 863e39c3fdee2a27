"""Each transport against a real server on 127.0.0.1: payload shape, signatures, and fault handling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from slack_sdk.models.blocks import ActionsBlock, Block, HeaderBlock, SectionBlock

from airflow_provider_dango.alerts import Event
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.alerts.transports.http import verify_signature

from .conftest import free_port, make_router

FAILED = dict(
    type="sync_failed",
    schedule="shop_daily",
    sources=["shop"],
    dag_id="dango_shop_daily",
    run_id="scheduled__2026-11-21T03:00:00+00:00",
    task_id="sync_shop",
    run_url="http://airflow.local/dags/dango_shop_daily/runs/x",
    error="RuntimeError: shop API returned 503",
    attempt_number=3,
)


def test_slack_block_kit_validates_with_slack_sdk(tmp_path: Path, receiver: Receiver) -> None:
    router = make_router(tmp_path, [{"name": "s", "url": receiver.url("/slack"), "format": "slack"}])
    result = router.emit(Event(**FAILED))
    assert result.delivered == ["s"]
    body = receiver.on("/slack")[0].json
    attachment = body["attachments"][0]
    assert attachment["color"] == "#e01e5a"  # Dango's failure colour
    blocks = [Block.parse(b) for b in attachment["blocks"]]
    for block in blocks:
        block.validate_json()  # raises SlackObjectFormationError on invalid Block Kit
    assert isinstance(blocks[0], HeaderBlock) and "Sync failed" in blocks[0].text.text
    section = next(b for b in blocks if isinstance(b, SectionBlock))
    assert "*Schedule:* shop_daily" in section.text.text and "shop API returned 503" in section.text.text
    actions = next(b for b in blocks if isinstance(b, ActionsBlock))
    assert actions.elements[0].url == FAILED["run_url"]


def test_generic_json_has_dango_keys_and_valid_hmac(tmp_path: Path, receiver: Receiver, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t-signing-key")
    monkeypatch.setenv("HOOK_TOKEN", "Bearer tok-123456")
    router = make_router(
        tmp_path,
        [
            {
                "name": "h",
                "url": receiver.url("/h"),
                "secret": "${HOOK_SECRET}",
                "headers": {"Authorization": "${HOOK_TOKEN}", "X-Team": "data"},
            }
        ],
    )
    router.emit(
        Event(
            type="sync_completed",
            schedule="shop_daily",
            sources=["shop"],
            rows_loaded={"orders": 7},
            duration_seconds=2.5,
        )
    )
    got = receiver.on("/h")[0]
    body = got.json
    dango_keys = {
        "event",
        "schedule",
        "sources",
        "error",
        "duration_seconds",
        "timestamp",
        "dashboard_url",
        "rows_loaded",
        "stale_hours",
        "attempt_number",
        "next_retry_at",
        "metadata",
    }
    assert dango_keys <= set(body)
    assert body["event"] == "sync_completed" and body["rows_loaded"] == 7 and body["severity"] == "info"
    assert got.headers["Authorization"] == "Bearer tok-123456" and got.headers["X-Team"] == "data"
    ts, sig = got.headers["X-Dango-Timestamp"], got.headers["X-Dango-Signature"]
    assert verify_signature("s3cr3t-signing-key", ts, got.raw, sig)
    assert not verify_signature("wrong-key", ts, got.raw, sig)
    assert not verify_signature("s3cr3t-signing-key", ts, got.raw.replace(b"7", b"8"), sig)
    assert not verify_signature("s3cr3t-signing-key", str(int(ts) - 3600), got.raw, sig)  # replayed later


def test_teams_adaptive_card(tmp_path: Path, receiver: Receiver) -> None:
    router = make_router(tmp_path, [{"name": "t", "url": receiver.url("/t"), "format": "teams"}])
    router.emit(
        Event(
            type="metric_alert",
            schedule="shop_daily",
            summary="revenue -34% vs last week",
            details={"metric": "revenue", "driver": "currency=EUR"},
            key="revenue",
        )
    )
    body = receiver.on("/t")[0].json
    att = body["attachments"][0]
    assert body["type"] == "message" and att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    facts = {f["title"]: f["value"] for f in next(b for b in card["body"] if b["type"] == "FactSet")["facts"]}
    assert facts["driver"] == "currency=EUR" and "revenue -34%" in facts["Summary"]


def test_email_over_smtp(tmp_path: Path, smtp_server, monkeypatch) -> None:
    port, sink = smtp_server
    monkeypatch.setenv("DANGO_SMTP_FROM", "alerts@example.com")
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_SMTP", f"smtp://127.0.0.1:{port}")
    router = make_router(
        tmp_path, [{"name": "mail", "format": "email", "conn_id": "alert_smtp", "to": ["oncall@example.com"]}]
    )
    result = router.emit(Event(**FAILED))
    assert result.delivered == ["mail"]
    rcpt, msg = sink.messages[0]
    assert rcpt == ["oncall@example.com"]
    assert msg["Subject"] == "[dango error] Sync failed [shop_daily]"
    text = msg.get_payload()[0].get_payload(decode=True).decode()
    assert "shop API returned 503" in text and FAILED["run_url"] in text


def test_5xx_is_retried_until_delivered(tmp_path: Path) -> None:
    with Receiver(lambda _p, n: 500 if n < 3 else 200) as flaky:
        router = make_router(tmp_path, [{"name": "h", "url": flaky.url("/h")}])
        result = router.emit(Event(**FAILED))
        assert result.delivered == ["h"] and flaky.requests["/h"] == 3


def test_4xx_is_not_retried_and_kept_as_failed(tmp_path: Path) -> None:
    with Receiver(lambda _p, _n: 404) as gone:
        router = make_router(tmp_path, [{"name": "h", "url": gone.url("/h")}])
        result = router.emit(Event(**FAILED))
        assert result.failed == ["h"] and gone.requests["/h"] == 1
        [row] = router.outbox.deliveries()
        assert row["status"] == "failed" and row["last_error"] == "webhook h: HTTP 404"
        assert router.flush().delivered == 0 and gone.requests["/h"] == 1


def test_refused_and_hanging_webhooks_do_not_delay_a_healthy_one(tmp_path: Path, receiver: Receiver) -> None:
    with Receiver(lambda _p, _n: -3) as hanging:
        router = make_router(
            tmp_path,
            [
                {"name": "ok", "url": receiver.url("/ok")},
                {"name": "hang", "url": hanging.url("/hang"), "timeout_seconds": 0.3},
                {"name": "refused", "url": f"http://127.0.0.1:{free_port()}/x"},
            ],
        )
        t0 = time.time()
        result = router.emit(Event(**FAILED))
        healthy_latency = receiver.on("/ok")[0].at - t0
        assert result.delivered == ["ok"] and sorted(result.pending) == ["hang", "refused"]
        assert healthy_latency < 0.5
        assert hanging.requests["/hang"] == 3  # 1 + two retries, each timed out
        errors = {r["webhook"]: r["last_error"] for r in router.outbox.deliveries("pending")}
        assert errors == {
            "hang": "webhook hang: timed out after 0.3 s",
            "refused": "webhook refused: connection error (Connection refused)",
        }


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_unavailable_are_retryable(tmp_path: Path, status: int) -> None:
    with Receiver(lambda _p, n: status if n == 1 else 200) as r:
        router = make_router(tmp_path, [{"name": "h", "url": r.url("/h"), "format": "slack"}])
        assert router.emit(Event(**FAILED)).delivered == ["h"]


class _Refusing:
    """An SMTP handler answering DATA with a fixed reply (first `times` messages), then 250."""

    def __init__(self, reply: str, times: int) -> None:
        self.reply, self.times, self.accepted = reply, times, 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.times > 0:
            self.times -= 1
            return self.reply
        self.accepted += 1
        return "250 OK"


@pytest.mark.parametrize(
    ("reply", "outcome", "accepted"),
    [("451 4.3.0 try again later", "delivered", 1), ("550 5.1.1 mailbox unavailable", "failed", 0)],
)
def test_smtp_transient_replies_are_retried_permanent_ones_not(tmp_path, monkeypatch, reply, outcome, accepted):
    from aiosmtpd.controller import Controller

    handler = _Refusing(reply, times=1)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("DANGO_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DANGO_SMTP_PORT", str(port))
        router = make_router(tmp_path, [{"name": "mail", "format": "email", "to": ["a@example.com"]}])
        result = router.emit(Event(**FAILED))
    finally:
        controller.stop()
    assert getattr(result, outcome) == ["mail"] and handler.accepted == accepted


def test_smtp_server_down_keeps_the_mail_in_the_outbox(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DANGO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DANGO_SMTP_PORT", str(free_port()))
    router = make_router(tmp_path, [{"name": "mail", "format": "email", "to": ["a@example.com"]}])
    assert router.emit(Event(**FAILED)).pending == ["mail"]


def test_url_from_an_airflow_connection(tmp_path: Path, receiver: Receiver, monkeypatch) -> None:
    # The Slack provider's `slackwebhook` connection keeps the webhook URL in the password field.
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_OPS",
        '{"conn_type": "slackwebhook", "password": "' + receiver.url("/services/T000/B000/XXX") + '"}',
    )
    monkeypatch.setenv("AIRFLOW_CONN_HOOK_HTTP", f"http://127.0.0.1:{receiver.port}/incoming")
    monkeypatch.setenv("AIRFLOW_CONN_HOOK_KEY", '{"conn_type": "generic", "password": "key-from-connection"}')
    router = make_router(
        tmp_path,
        [
            {"name": "slack", "conn_id": "slack_ops", "format": "slack"},
            {"name": "http", "conn_id": "hook_http", "secret": "conn:hook_key"},
        ],
    )
    assert sorted(router.emit(Event(**FAILED)).delivered) == ["http", "slack"]
    [signed] = receiver.on("/incoming")
    assert verify_signature(
        "key-from-connection", signed.headers["X-Dango-Timestamp"], signed.raw, signed.headers["X-Dango-Signature"]
    )
    assert len(receiver.on("/services/T000/B000/XXX")) == 1
