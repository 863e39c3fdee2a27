"""Generated DAGs alert through real Airflow runs (dag.test) to a receiver on 127.0.0.1; the stale check DAG."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airflow_provider_dango.alerts.receiver import Receiver

BROKEN_SOURCE = """
import dlt


@dlt.source
def broken():
    @dlt.resource
    def items():
        raise RuntimeError("shop API returned 503 Service Unavailable")
        yield {}

    return items
"""


def _project(root: Path, url: str) -> Path:
    (root / "pipelines" / "broken.py").write_text(BROKEN_SOURCE, encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text(
        """version: "1.0"
sources:
  - name: shop
    function: pipelines.shop_source:shop
    args: {customers: 20, days: 3}
  - name: broken
    function: pipelines.broken:broken
""",
        encoding="utf-8",
    )
    (root / ".dango" / "schedules.yml").write_text(
        f"""schedules:
  - name: shop_sync
    type: sync_only
    cron: daily
    sources: [shop]
  - name: broken_sync
    type: sync_only
    cron: daily
    sources: [broken]
    retries: 1
    retry_delay_seconds: 1
    retry_exponential_backoff: false
notifications:
  webhooks:
    - name: ops
      url: "{url}"
  retry_delays_seconds: [0.05]
  stale_threshold_hours: 6
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def alert_project(shop_project: Path, airflow_db: Path, monkeypatch, receiver: Receiver) -> Path:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.scaffold import DAG_FILE

    root = _project(shop_project, receiver.url("/ops"))
    build_manifest(load_project(root))  # installs dango_monitors, which the drift step after each sync runs
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(root))
    (airflow_db / "dags" / "dango_dags.py").write_text(DAG_FILE, encoding="utf-8")
    return root


def test_generated_dags_alert_on_retry_failure_and_success(alert_project: Path, receiver: Receiver) -> None:
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.notifications import DangoRetryNotifier, DangoSuccessNotifier

    dags = build_dags(alert_project)
    assert set(dags) == {"dango_shop_sync", "dango_broken_sync", "dango_stale_check"}
    broken = dags["dango_broken_sync"]
    assert isinstance(broken.on_success_callback, DangoSuccessNotifier)
    assert isinstance(broken.get_task("sync_broken").on_retry_callback[0], DangoRetryNotifier)

    run = broken.test()
    assert str(run.state) == "failed"
    events = [r.json for r in receiver.on("/ops")]
    assert [e["event"] for e in events] == ["sync_retrying", "sync_failed"]
    failed = events[1]
    assert failed["sources"] == ["broken"] and failed["severity"] == "error"
    assert "shop API returned 503" in failed["error"]
    assert failed["task_id"] == "sync_broken" and failed["run_id"] == run.run_id
    assert failed["run_url"].startswith("http://localhost:8080/dags/dango_broken_sync/runs/")
    assert events[0]["attempt_number"] == 1 and events[0]["next_retry_at"]

    ok = dags["dango_shop_sync"].test()
    assert str(ok.state) == "success"
    done = receiver.on("/ops")[-1].json
    assert done["event"] == "sync_completed" and done["rows_loaded"] > 0
    assert set(done["metadata"]["rows_by_table"]) >= {"shop.customers", "shop.orders"}

    # The demo section replays this run's events to its own receiver and shows dedup under flapping.
    from rich.console import Console

    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.demo.alerts import story as demo_section

    console = Console(record=True, width=200)
    demo_section(load_project(alert_project), dags["dango_shop_sync"], ok, console)
    text = console.export_text()
    assert "Alerts received on 127.0.0.1" in text
    rows = [[cell.strip() for cell in line.split("│")] for line in text.splitlines() if "│" in line]
    assert ["sync_completed", "info", "shop_sync", "#2eb886, 4 blocks", "HMAC ok"] in rows
    assert all(row[-1] == "HMAC ok" for row in rows)
    # The flapping schedule: one failure alert and one recovery.
    assert [row[:2] for row in rows if row[2] == "demo_flapping"] == [
        ["sync_failed", "error"],
        ["sync_completed (recovered)", "info"],
    ]


def test_stale_check_fires_when_the_sync_dag_never_runs(alert_project: Path, receiver: Receiver) -> None:
    from airflow_provider_dango.alerts import Outbox, outbox_path
    from airflow_provider_dango.alerts.stale import run_stale_check
    from airflow_provider_dango.config import load_project

    project = load_project(alert_project)
    now = dt.datetime.now(dt.timezone.utc)
    assert run_stale_check(project, now)["stale_alerts"] == 0  # first sight of never-synced sources
    assert run_stale_check(project, now + dt.timedelta(hours=7))["stale_alerts"] == 2
    assert run_stale_check(project, now + dt.timedelta(hours=8))["stale_alerts"] == 0  # same episode
    assert run_stale_check(project, now + dt.timedelta(hours=13))["stale_alerts"] == 2  # escalates
    got = [(r.json["sources"][0], r.json["severity"], r.json["stale_hours"]) for r in receiver.on("/ops")]
    assert sorted(got) == [
        ("broken", "critical", 13.0),
        ("broken", "warn", 7.0),
        ("shop", "critical", 13.0),
        ("shop", "warn", 7.0),
    ]
    assert Outbox(outbox_path(project)).counts() == {"ops": {"delivered": 4}}


def test_stale_check_uses_newest_successful_sync(alert_project: Path, receiver: Receiver) -> None:
    from airflow_provider_dango.alerts import Outbox, outbox_path
    from airflow_provider_dango.alerts.stale import freshness, run_stale_check
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.sync import run_sync

    project = load_project(alert_project)
    run_sync(project, "shop", run_id="manual_1")
    now = dt.datetime.now(dt.timezone.utc)
    fresh = {f.source: f for f in freshness(project, Outbox(outbox_path(project)), now)}
    assert not fresh["shop"].stale and fresh["shop"].last_sync is not None
    run_stale_check(project, now + dt.timedelta(hours=6.5))
    [alert] = [r.json for r in receiver.on("/ops") if r.json["sources"] == ["shop"]]
    assert alert["event"] == "sync_stale" and 6.4 < alert["stale_hours"] < 6.7
    assert alert["metadata"]["last_successful_sync"].startswith(fresh["shop"].last_sync.isoformat()[:16])
