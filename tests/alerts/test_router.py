"""Routing, dedup under flapping, the outbox across a process restart, and secrets kept out of logs."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

from airflow_provider_dango.alerts import Event, Outbox, Router, route
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.config import NotificationsConfig

from .conftest import free_port, make_router


def _names(config: dict, event: Event, notify_on: tuple[str, ...] = ()) -> list[str]:
    cfg = NotificationsConfig.model_validate(config)
    return [w.name for w in route(cfg, event, notify_on)]


HOOKS = [
    {"name": "all", "url": "https://example.invalid/a"},
    {"name": "pager", "url": "https://example.invalid/p", "min_severity": "error"},
    {"name": "gov", "url": "https://example.invalid/g", "events": ["schema_drift_detected", "pii_detected"]},
]


def test_routing_by_category_notify_on_events_and_severity() -> None:
    cfg = {"webhooks": HOOKS}
    assert _names(cfg, Event(type="sync_failed")) == ["all", "pager"]
    assert _names(cfg, Event(type="sync_completed")) == ["all"]
    assert _names(cfg, Event(type="pii_detected")) == ["all", "gov"]
    assert _names(cfg, Event(type="pii_detected", severity="critical")) == ["all", "pager", "gov"]
    # Dango's category switches.
    assert _names({**cfg, "on_success": False}, Event(type="sync_completed")) == []
    assert _names({**cfg, "on_governance": False}, Event(type="schema_drift_detected")) == []
    assert _names({**cfg, "on_analysis": False}, Event(type="metric_alert")) == []
    assert _names({**cfg, "on_stale": False}, Event(type="sync_stale")) == []
    # Per-schedule notify_on narrows failure/success/stale only.
    assert _names(cfg, Event(type="sync_completed"), ("failure",)) == []
    assert _names(cfg, Event(type="sync_failed"), ("failure",)) == ["all", "pager"]
    assert _names(cfg, Event(type="metric_alert"), ("failure",)) == ["all"]
    # A recovery closes a failure alert: it goes where failures go, even with on_success off.
    recovered = Event(type="sync_completed", recovered=True)
    assert _names({**cfg, "on_success": False}, recovered, ("failure",)) == ["all", "pager"]


def test_flapping_gives_one_alert_and_one_recovery(tmp_path: Path, receiver: Receiver) -> None:
    router = make_router(tmp_path, [{"name": "h", "url": receiver.url("/h")}], dedup_window_minutes=60)
    outcomes = []
    for i in range(10):
        kind = "sync_failed" if i % 2 == 0 else "sync_completed"
        outcomes.append(router.emit(Event(type=kind, schedule="shop_daily", sources=["shop"])).suppressed)
    got = [(r.json["event"], r.json["recovered"]) for r in receiver.on("/h")]
    assert got == [("sync_failed", False), ("sync_completed", True)]
    assert outcomes.count(False) == 2
    # A different schedule is a different subject: not suppressed.
    router.emit(Event(type="sync_failed", schedule="other", sources=["shop"]))
    assert len(receiver.on("/h")) == 3


def test_dedup_window_zero_sends_everything_and_successes_are_not_recoveries(tmp_path, receiver) -> None:
    router = make_router(tmp_path, [{"name": "h", "url": receiver.url("/h")}], dedup_window_minutes=0)
    for _ in range(3):
        router.emit(Event(type="sync_completed", schedule="s"))
    assert [r.json["recovered"] for r in receiver.on("/h")] == [False, False, False]


def test_dedup_is_shared_between_processes(tmp_path: Path, receiver: Receiver) -> None:
    hooks = [{"name": "h", "url": receiver.url("/h")}]
    make_router(tmp_path, hooks).emit(Event(type="metric_alert", key="revenue"))
    make_router(tmp_path, hooks).emit(Event(type="metric_alert", key="revenue"))  # a new router, same outbox
    make_router(tmp_path, hooks).emit(Event(type="metric_alert", key="orders"))
    assert [r.json["event"] for r in receiver.on("/h")] == ["metric_alert", "metric_alert"]


def test_outbox_survives_a_process_restart(tmp_path: Path) -> None:
    port = free_port()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from airflow_provider_dango.alerts import Event, Outbox, Router
        from airflow_provider_dango.config import NotificationsConfig
        cfg = NotificationsConfig.model_validate(
            {{"webhooks": [{{"name": "h", "url": "http://127.0.0.1:{port}/h"}}], "retry_delays_seconds": [0.01]}})
        router = Router(cfg, Outbox(Path(sys.argv[1])), cooldown_s=0)
        for i in range(5):
            r = router.emit(Event(type="metric_alert", key=f"m{{i}}", summary=f"metric {{i}}"))
            assert r.pending == ["h"], r
        """
    )
    outbox_file = tmp_path / "outbox.sqlite"
    subprocess.run([sys.executable, "-c", script, str(outbox_file)], check=True, timeout=60)
    assert Outbox(outbox_file).counts() == {"h": {"pending": 5}}
    # The webhook comes back; a new process (this one) retries what the first one could not deliver.
    with Receiver(port=port) as back:
        cfg = NotificationsConfig.model_validate({"webhooks": [{"name": "h", "url": back.url("/h")}]})
        result = Router(cfg, Outbox(outbox_file)).flush()
        assert result.delivered == 5 and result.pending == 0
        assert sorted(r.json["metadata"]["summary"] for r in back.on("/h")) == [f"metric {i}" for i in range(5)]
    assert Outbox(outbox_file).counts() == {"h": {"delivered": 5}}


def test_flush_stops_at_a_webhook_still_down(tmp_path: Path) -> None:
    router = make_router(tmp_path, [{"name": "h", "url": f"http://127.0.0.1:{free_port()}/h"}])
    for i in range(20):
        router.emit(Event(type="metric_alert", key=str(i)))
    result = router.flush()
    assert result.delivered == 0 and result.pending == 20  # one probe (3 attempts), not 60 attempts


def test_no_secret_in_any_log_line(tmp_path: Path, caplog, capfd, monkeypatch) -> None:
    secret_path = "T0SECRET/B0SECRET/XXXXSECRETXXXX"
    monkeypatch.setenv("SLACK_URL_DOWN", f"http://127.0.0.1:{free_port()}/services/{secret_path}")
    monkeypatch.setenv("SIGNING", "hmac-key-SECRET-value")
    monkeypatch.setenv("AUTH", "Bearer SECRET-token-value")
    monkeypatch.setenv("AIRFLOW_CONN_MAIL", f"smtp://bob:SMTP-SECRET-pw@127.0.0.1:{free_port()}")
    caplog.set_level(logging.DEBUG)
    with Receiver(lambda _p, n: 500) as failing:
        monkeypatch.setenv("HTTP_URL_500", failing.url(f"/hook/{secret_path}"))
        cfg = NotificationsConfig.model_validate(
            {
                "webhooks": [
                    {"name": "slack", "url": "${SLACK_URL_DOWN}", "format": "slack"},
                    {
                        "name": "http",
                        "url": "${HTTP_URL_500}",
                        "secret": "${SIGNING}",
                        "headers": {"Authorization": "${AUTH}"},
                    },
                    {"name": "teams", "url": "${HTTP_URL_500}", "format": "teams"},
                    {"name": "mail", "format": "email", "conn_id": "mail", "to": ["a@example.com"]},
                    {"name": "unset", "url": "${NOT_SET_ANYWHERE}"},
                ],
                "retry_delays_seconds": [0.01],
            }
        )
        router = Router(cfg, Outbox(tmp_path / "o.sqlite"), cooldown_s=0)
        result = router.emit(Event(type="sync_failed", schedule="s", error="boom"))
        router.flush()
    assert result.delivered == [] and len(result.pending) == 5
    out, err = capfd.readouterr()
    text = "\n".join(r.getMessage() for r in caplog.records) + out + err
    text += "\n".join(str(d["last_error"]) for d in router.outbox.deliveries())
    assert "not delivered" in text
    for secret in ("SECRET", "127.0.0.1"):
        assert secret not in text, [line for line in text.splitlines() if secret in line]


def test_a_down_webhook_cools_down_across_routers(tmp_path: Path) -> None:
    """After 3 events in a row failed every attempt, another process (here: another router on the same outbox) does
    not wait through the retries again; one success ends the cooldown."""
    from airflow_provider_dango.config import NotificationsConfig as Cfg

    up = [False]
    with Receiver(lambda _p, _n: 200 if up[0] else 503) as server:
        cfg = Cfg.model_validate({"webhooks": [{"name": "h", "url": server.url("/h")}], "retry_delays_seconds": [0.01]})
        first = Router(cfg, Outbox(tmp_path / "o.sqlite"), cooldown_s=60)
        for key in "abc":
            assert first.emit(Event(type="metric_alert", key=key)).pending == ["h"]
        assert server.requests["/h"] == 6
        second = Router(cfg, Outbox(tmp_path / "o.sqlite"), cooldown_s=60)
        assert second.emit(Event(type="metric_alert", key="d")).pending == ["h"]
        assert server.requests["/h"] == 6  # not attempted while cooling down
        second.flush()  # `a` and `b` came before the cooldown and are due: one probe (2 attempts), then it stops
        assert server.requests["/h"] == 8
        up[0] = True
        assert second.flush(force=True).delivered == 4  # `dango alerts flush` probes anyway
        assert second.emit(Event(type="metric_alert", key="e")).delivered == ["h"]  # cooldown over
