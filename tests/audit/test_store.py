"""record_check_result and the spool -> warehouse flush, on real DuckDB files; the tests taking `audit_project` run
on a real PostgreSQL warehouse too (spool in the warehouse, local only while the server is unreachable)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from airflow_provider_dango.audit import flush, record_check_result, record_task_run, spool
from airflow_provider_dango.audit.store import TABLES
from airflow_provider_dango.config import load_project
from airflow_provider_dango.warehouse import for_project, warehouse_lock

REPO = Path(__file__).resolve().parents[2]


def _rows(project, table: str) -> list[tuple]:
    rows = for_project(project).rows(f'SELECT * FROM dango."{table}"')
    return sorted(rows, key=lambda r: [str(v) for v in r])


@pytest.fixture(params=["duckdb", "postgres"])
def audit_project(request: pytest.FixtureRequest, shop_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shop project with its warehouse in a DuckDB file, or in a fresh PostgreSQL database."""
    if request.param == "postgres":
        from tests.services.postgres import point_project_at

        for key, value in point_project_at(shop_project, request.getfixturevalue("postgres_db")).items():
            monkeypatch.setenv(key, value)
    return shop_project


def test_check_result_lands_once_per_run_check_and_target(audit_project: Path) -> None:
    project = load_project(audit_project)
    assert record_check_result(project, "run_1", "drift", "raw_shop.orders", "fail", "critical", {"removed": ["x"]})
    assert record_check_result(project, "run_1", "drift", "raw_shop.orders", "fail", "critical", {"removed": ["y"]})
    assert record_check_result(project, "run_1", "monitor:revenue", "marts.daily_revenue.revenue", "flag", "warn")
    rows = _rows(project, "dango_audit_check_results")
    assert [(r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("run_1", "drift", "drift", "raw_shop.orders", "fail", "critical"),
        ("run_1", "monitor", "monitor:revenue", "marts.daily_revenue.revenue", "flag", "warn"),
    ]
    assert '"y"' in rows[0][8]  # the second recording replaced the first
    assert spool.count(for_project(project).anchor) == 0


def test_bad_check_arguments_are_rejected_with_the_key(shop_project: Path) -> None:
    project = load_project(shop_project)
    with pytest.raises(ValueError, match="status 'broken'"):
        record_check_result(project, "r", "pii", "raw_shop.orders.notes", "broken")
    with pytest.raises(ValueError, match="type must be one of"):
        record_check_result(project, "r", "vibes", "t", "pass")


def test_busy_warehouse_keeps_events_until_a_later_flush(shop_project: Path) -> None:
    """Recording while another task holds the warehouse lock neither blocks nor loses the event: it is spooled, and
    a later flush writes it. (The thread that holds the lock itself writes straight through: the lock is re-entrant.)"""
    import threading

    project = load_project(shop_project)
    path = for_project(project).path
    held, done = threading.Event(), threading.Event()

    def other_task() -> None:
        with warehouse_lock(path):
            held.set()
            done.wait(60)

    holder = threading.Thread(target=other_task)
    holder.start()
    try:
        assert held.wait(60)
        assert record_check_result(project, "run_2", "freshness:shop", "raw_shop", "pass")
        assert spool.count(path) == 1
    finally:
        done.set()
        holder.join()
    result = flush(project)
    assert result.delivered == 1 and result.pending == 0
    assert len(_rows(project, "dango_audit_check_results")) == 1
    with warehouse_lock(path):
        assert record_check_result(project, "run_5", "freshness:shop", "raw_shop", "pass")
    assert spool.count(path) == 0
    assert len(_rows(project, "dango_audit_check_results")) == 2


def test_broken_warehouse_keeps_events_and_does_not_raise(shop_project: Path) -> None:
    project = load_project(shop_project)
    for_project(project).path.parent.mkdir(parents=True)
    for_project(project).path.write_text("not a duckdb file")
    assert record_check_result(project, "run_3", "pii", "raw_shop.orders.notes", "flag", "warn")
    result = flush(project)
    assert result.error and result.pending == 1


def test_unreachable_server_spools_locally_until_it_is_back(
    shop_project: Path, postgres_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.services.postgres import point_project_at

    for key, value in point_project_at(shop_project, postgres_db).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DANGO_PG_PASSWORD", "rotated-away")  # the server turns this worker away
    down = load_project(shop_project)
    assert record_check_result(down, "run_5", "pii", "raw_shop.orders.notes", "flag", "warn")
    result = flush(down)
    assert result.pending == 1 and "cannot connect to the warehouse postgres" in (result.error or "")
    assert "rotated-away" not in result.error
    monkeypatch.setenv("DANGO_PG_PASSWORD", postgres_db.password)  # reachable again
    up = load_project(shop_project)
    assert flush(up).delivered == 1
    assert [r[2] for r in _rows(up, "dango_audit_check_results")] == ["run_5"]
    assert spool.count(for_project(up).anchor) == 0


def test_unwritable_spool_returns_false_without_raising(shop_project: Path) -> None:
    project = load_project(shop_project)
    spool.spool_path(for_project(project).path).mkdir(parents=True)  # a directory where the SQLite file should be
    assert record_check_result(project, "run_4", "pii", "raw_shop.orders.notes", "pass") is False


def test_running_event_never_overwrites_a_final_state(audit_project: Path) -> None:
    project = load_project(audit_project)
    key = {"dag_id": "d", "run_id": "r", "task_id": "t", "try_number": 1}
    record_task_run(project, {**key, "state": "failed", "error_summary": "ValueError: boom"})
    record_task_run(project, {**key, "state": "running", "started_at": "2026-11-21T10:00:00+00:00"})
    flush(project)
    record_task_run(project, {**key, "state": "running"})  # a late duplicate in a later flush
    flush(project)
    rows = _rows(project, "dango_audit_task_runs")
    assert len(rows) == 1
    assert rows[0][5] == "failed" and rows[0][10] == "ValueError: boom" and rows[0][7] is not None


def test_retention_removes_old_rows(audit_project: Path) -> None:
    """(On PostgreSQL the events sit in the local spool, as if recorded while the server was unreachable.)"""
    project = load_project(audit_project)
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    spool.append(
        for_project(project).anchor,
        "check_result",
        [
            {
                "run_id": "old",
                "check_type": "pii",
                "check_name": "pii",
                "target": "t",
                "status": "pass",
                "recorded_at": old,
            },
            {
                "run_id": "new",
                "check_type": "pii",
                "check_name": "pii",
                "target": "t",
                "status": "pass",
                "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            },
        ],
    )
    result = flush(project)  # default retention: 30 days
    assert result.purged == 1 and result.pending == 0
    assert [r[2] for r in _rows(project, "dango_audit_check_results")] == ["new"]


def test_dbt_fallback_columns_match_the_tables() -> None:
    """The views' empty stand-ins (dbt macro) list the same columns, in order, as the tables the provider writes."""
    macro = (REPO / "dbt_packages/dango_monitors/macros/audit/audit_relations.sql").read_text()
    for table, (columns, _, _) in TABLES.items():
        block = re.search(rf"'{table}': \[(.*?)\]", macro, re.S)
        assert block, f"{table} missing from audit_columns()"
        assert re.findall(r"\('(\w+)',", block.group(1)) == [c for c, _ in columns], table


def test_run_results_file_is_recorded_with_severity_unless_stale(shop_project: Path) -> None:
    import json
    import time
    from types import SimpleNamespace

    from airflow_provider_dango.audit.dbt_results import record_run_results_file

    project = load_project(shop_project)
    manifest = {
        "nodes": {
            "test.shop.t1": {
                "name": "t1",
                "resource_type": "test",
                "tags": [],
                "config": {"severity": "warn"},
                "attached_node": "model.shop.m",
            },
            "model.shop.m": {"name": "m", "resource_type": "model", "tags": ["critical"], "config": {}},
        }
    }
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    project.manifest_path.write_text(json.dumps(manifest))
    target = shop_project / "dbt" / "target"
    (target / "run_results.json").write_text(
        json.dumps(
            {
                "results": [
                    {
                        "unique_id": "test.shop.t1",
                        "status": "warn",
                        "failures": 3,
                        "message": "Got 3 results",
                        "execution_time": 0.1,
                    },
                    {
                        "unique_id": "model.shop.m",
                        "status": "error",
                        "failures": None,
                        "message": "Binder Error",
                        "execution_time": 1,
                    },
                ]
            }
        )
    )
    ti = SimpleNamespace(dag_id="dango_x", run_id="r1", task_id="dbt", try_number=1)
    record_run_results_file(project, target, {"ti": ti, "run_id": "r1"}, since=time.time() + 60)
    assert spool.count(for_project(project).path) == 0, "a run_results.json older than the command is ignored"
    record_run_results_file(project, target, {"ti": ti, "run_id": "r1"})
    flush(project)
    rows = _rows(project, "dango_audit_dbt_results")
    assert [(r[5], r[6], r[7], r[8], r[12], r[13]) for r in rows] == [
        ("m", "model", "error", None, "critical", None),
        ("t1", "test", "warn", 3, "warn", "model.shop.m"),
    ]


def test_shop_builds_the_audit_views_before_any_audit_table_exists(shop_project: Path) -> None:
    from airflow_provider_dango.audit.views import VIEWS, build_views, read_view
    from airflow_provider_dango.dbt import build_manifest

    project = load_project(shop_project)
    build_manifest(project)
    build_views(project)  # no dango_audit_* table, no load_stats yet
    for view in VIEWS:
        assert read_view(project, view) == []
