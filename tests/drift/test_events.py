"""The drift event names what is broken, what was skipped and how to accept; the gate's skip reason says the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _report():
    from airflow_provider_dango.drift import Change, DriftReport

    return DriftReport(
        run_id="r1",
        changes=[
            Change("raw_shop", "orders", "customer_id", "type_changed", "breaking", "BIGINT", "INTEGER", None),
            Change("raw_shop", "customers", "tier", "column_added", "additive", None, "VARCHAR", None),
        ],
        blocked_sources=["shop"],
        source_of_schema={"raw_shop": "shop"},
    )


def test_breaking_event_names_skipped_models_and_accept_command(built_shop: Path) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.drift import drift_event, load_manifest_models

    project = load_project(built_shop)
    skipped = load_manifest_models(project, ["shop"])
    assert skipped == ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]
    event = drift_event(_report(), "shop_daily", ["shop"], skipped)
    assert event.type == "schema_drift_detected"
    assert event.level.label == "error"
    assert "dango drift accept shop" in event.error
    assert event.details["skipped_models"] == skipped
    assert "raw_shop.orders.customer_id type_changed (BIGINT -> INTEGER)" in event.details["details"]


def test_additive_event_is_info_and_first_sight_is_silent(built_shop: Path) -> None:
    from airflow_provider_dango.drift import DriftReport, drift_event

    report = _report()
    report.changes = report.changes[1:]
    report.blocked_sources = []
    event = drift_event(report, "shop_daily", ["shop"], [])
    assert event.level.label == "info" and event.error is None
    assert drift_event(DriftReport(run_id="r2", baselined=["raw_shop.orders"]), None, ["shop"], []) is None


@pytest.mark.parametrize(
    ("sources", "skipped"),
    [({"shop"}, True), ({"crm"}, False), ({"crm", "shop"}, True)],
)
def test_gate_reason(sources: set[str], skipped: bool) -> None:
    from airflow_provider_dango.drift import describe_block

    result = {"blocked_sources": ["shop"], "changes": [c.as_json() for c in _report().changes]}
    reason = describe_block(result, sources)
    assert (reason is not None) == skipped
    if reason:
        assert "raw_shop.orders.customer_id type_changed (BIGINT -> INTEGER)" in reason
        assert "`dango drift accept shop`" in reason
        assert "tier" not in reason  # additive changes are not why it is skipped


def test_breaking_event_reaches_a_webhook(built_shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event as the drift task builds it (details as text, like Dango's) is delivered, not dropped."""
    import shutil

    from airflow_provider_dango.alerts import emit
    from airflow_provider_dango.alerts.receiver import Receiver
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.drift import drift_event

    root = tmp_path / "shop"  # a copy: the session's built_shop must keep its config (a webhook adds DAGs)
    shutil.copytree(built_shop, root, symlinks=True)
    with Receiver() as receiver:
        schedules = root / ".dango" / "schedules.yml"
        schedules.write_text(
            schedules.read_text().replace(
                "  webhooks: []", f'  webhooks:\n    - name: ops\n      url: "{receiver.url("/ops")}"'
            )
        )
        monkeypatch.setenv("DANGO_ALERTS_OUTBOX", str(root / "outbox.sqlite"))
        project = load_project(root)
        event = drift_event(_report(), "shop_daily", ["shop"], ["stg_orders"])
        result = emit(project, event)
        assert result is not None and result.delivered == ["ops"]
        received = [r.json for r in receiver.on("/ops")]
    assert [r["event"] for r in received] == ["schema_drift_detected"]
    assert "raw_shop.orders.customer_id type_changed (BIGINT -> INTEGER)" in json.dumps(received[0])
    assert received[0]["metadata"]["skipped_models"] == ["stg_orders"]
