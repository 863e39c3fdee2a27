"""`dango webhook test` (and Dango's spelling), `dango alerts status/flush`, provider metadata, the demo section."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.cli import main

from .conftest import free_port


def _write(root: Path, webhooks: str) -> Path:
    text = (root / ".dango" / "schedules.yml").read_text(encoding="utf-8")
    (root / ".dango" / "schedules.yml").write_text(
        text.replace("  webhooks: []", webhooks) + "  retry_delays_seconds: [0.01]\n", encoding="utf-8"
    )
    return root


def test_webhook_test_delivers_and_reports(shop_project: Path, receiver: Receiver, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPS_URL", receiver.url("/ops"))
    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    _write(shop_project, "  webhooks:\n    - name: ops\n      url: ${OPS_URL}\n      format: slack\n")
    assert main(["webhook", "test", "ops", "--project-dir", str(shop_project)]) == 0
    assert main(["schedule", "webhook", "test", "ops", "--project-dir", str(shop_project)]) == 0
    assert "ok: test event delivered to ops" in capsys.readouterr().out
    assert [r.json["attachments"][0]["blocks"][0]["text"]["text"] for r in receiver.on("/ops")] == [
        "Test notification: webhook_test"
    ] * 2
    assert main(["webhook", "test", "nope", "--project-dir", str(shop_project)]) == 1
    assert "no webhook named 'nope'" in capsys.readouterr().err


def test_webhook_test_failure_is_explained_without_the_url(shop_project: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    with Receiver(lambda _p, _n: 403) as forbidden:
        monkeypatch.setenv("OPS_URL", forbidden.url("/secret-path"))
        _write(shop_project, "  webhooks:\n    - name: ops\n      url: ${OPS_URL}\n")
        assert main(["webhook", "test", "ops", "--project-dir", str(shop_project)]) == 1
    err = capsys.readouterr().err
    assert "delivery to ops failed: webhook ops: HTTP 403; not retried" in err and "secret-path" not in err


def test_alerts_status_and_flush(shop_project: Path, monkeypatch, capsys) -> None:
    port = free_port()
    monkeypatch.setenv("OPS_URL", f"http://127.0.0.1:{port}/ops")
    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    _write(shop_project, "  webhooks:\n    - name: ops\n      url: ${OPS_URL}\n")
    from airflow_provider_dango.alerts import Event, emit
    from airflow_provider_dango.config import load_project

    result = emit(load_project(shop_project), Event(type="metric_alert", key="revenue", summary="revenue -40%"))
    assert result is not None and result.pending == ["ops"]
    from airflow_provider_dango.commands import output

    monkeypatch.setattr(output.console, "width", 200)
    assert main(["alerts", "status", "--project-dir", str(shop_project)]) == 0
    out = capsys.readouterr().out
    assert "metric_alert" in out and "connection error" in out
    with Receiver(port=port) as back:
        assert main(["alerts", "flush", "--project-dir", str(shop_project)]) == 0
        assert back.on("/ops")[0].json["metadata"]["summary"] == "revenue -40%"
    assert "delivered 1, still pending 0" in capsys.readouterr().out


def test_provider_lists_the_notifiers() -> None:
    import jsonschema
    from airflow.sdk import BaseNotifier

    from airflow_provider_dango import get_provider_info

    info = get_provider_info()
    schema_path = Path(importlib.import_module("airflow").__file__).parent / "provider_info.schema.json"
    jsonschema.validate(info, json.loads(schema_path.read_text()))
    assert len(info["notifications"]) == 4
    for dotted in info["notifications"]:
        module, name = dotted.rsplit(".", 1)
        assert issubclass(getattr(importlib.import_module(module), name), BaseNotifier)


def test_core_has_no_airflow_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys, airflow_provider_dango.alerts, airflow_provider_dango.alerts.stale; "
        "import airflow_provider_dango.alerts.transports.email; "
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_emit_takes_typed_events_only(shop_project: Path, monkeypatch) -> None:
    import pytest

    from airflow_provider_dango.alerts import Event, emit
    from airflow_provider_dango.config import load_project

    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    project = load_project(shop_project)
    result = emit(project, Event(type="pii_detected", key="raw_shop.orders.notes:email", summary="emails"))
    assert result is not None and result.targets == []  # the example project has no webhooks: recorded only
    with pytest.raises(ValueError, match="unknown event type 'pii_found'"):
        Event(type="pii_found")
    with pytest.raises(TypeError, match=r"takes an alerts\.Event"):
        emit(project, {"type": "pii_detected"})  # type: ignore[arg-type]


def test_check_events_reach_the_webhook(shop_project: Path, receiver, monkeypatch) -> None:
    """The typed events drift, PII and monitors build are delivered with their facts."""
    import datetime as dt

    from airflow_provider_dango.alerts import emit
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.drift import Change, DriftReport, drift_event
    from airflow_provider_dango.monitors.core import MonitorResult, alert_event
    from airflow_provider_dango.pii import PiiFinding, PiiScanResult, governance_event

    schedules = shop_project / ".dango" / "schedules.yml"
    schedules.write_text(
        schedules.read_text().replace(
            "  webhooks: []", f'  webhooks:\n    - name: ops\n      url: "{receiver.url("/ops")}"'
        )
    )
    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    project = load_project(shop_project)
    report = DriftReport(
        run_id="r1",
        changes=[Change("raw_shop", "orders", "amount", "column_removed", "breaking", "DOUBLE", None, None)],
        blocked_sources=["shop"],
        source_of_schema={"raw_shop": "shop"},
    )
    finding = PiiFinding("raw_shop.customers", "email", "EMAIL_ADDRESS", 1.0, 0.99, 100, "a***@e***.de", True)
    flagged = MonitorResult("daily_revenue", "flagged", 400.0, 1260.0, -68.2, bucket_start=dt.datetime(2026, 11, 20))
    events = [
        drift_event(report, "shop_daily", ["shop"], ["fct_orders"]),
        governance_event(PiiScanResult("r1", False, findings=[finding]), "shop_daily", "shop"),
        alert_event(flagged, "shop", "r1", "shop_daily"),
    ]
    for event in events:
        result = emit(project, event)
        assert result is not None and result.targets == ["ops"], event.type
    received = [r.json for r in receiver.on("/ops")]
    assert [r["event"] for r in received] == ["schema_drift_detected", "pii_detected", "metric_alert"]
    assert received[0]["metadata"]["skipped_models"] == ["fct_orders"]
    assert "a***@e***.de" in json.dumps(received[1])
    assert all(r["schedule"] == "shop_daily" for r in received)


def test_each_flagged_monitor_is_its_own_alert(shop_project: Path, receiver, monkeypatch) -> None:
    """Two monitors flagged in one run are two alerts; the same monitor and bucket judged again is a duplicate."""
    import datetime as dt

    from airflow_provider_dango.alerts import emit
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.monitors.core import MonitorResult, MonitorsRun

    schedules = shop_project / ".dango" / "schedules.yml"
    schedules.write_text(
        schedules.read_text().replace(
            "  webhooks: []", f'  webhooks:\n    - name: ops\n      url: "{receiver.url("/ops")}"'
        )
    )
    monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(shop_project / "outbox.sqlite"))
    project = load_project(shop_project)
    day = dt.datetime(2026, 11, 20)
    results = [
        MonitorResult(name="daily_revenue", status="flagged", value=400.0, baseline=1260.0, change_pct=-68.2,
                      bucket_start=day),
        MonitorResult(name="daily_orders", status="flagged", value=16.0, baseline=36.0, change_pct=-55.6,
                      bucket_start=day),
    ]
    first = MonitorsRun("r1", results, "shop_daily", "shop").events()
    assert len(first) == 2
    for event in first:
        emit(project, event)
    for event in MonitorsRun("r1-retry", results[:1], "shop_daily", "shop").events():  # a retry: same bucket
        emit(project, event)
    received = [r.json for r in receiver.on("/ops")]
    assert sorted(r["metadata"]["name"] for r in received) == ["daily_orders", "daily_revenue"]
    assert {r["schedule"] for r in received} == {"shop_daily"}
