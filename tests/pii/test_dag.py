"""The PII task in generated DAGs: after dbt, scanning the synced schemas, returning a PII-free summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pii.conftest import fresh_copy


@pytest.mark.parametrize("layout", ["built_shop", "built_shop_per_model"])
def test_sync_dag_runs_pii_scan_after_dbt(layout: str, request: pytest.FixtureRequest) -> None:
    """After the one `dbt_build` task (the demo's `dbt_tasks: single`) or after the Cosmos model tasks."""
    from airflow_provider_dango.dag_factory import build_dags

    dags = build_dags(request.getfixturevalue(layout))
    dag = dags["dango_shop_daily"]
    task = dag.get_task("pii_scan")
    assert task.schemas == ["raw_shop"]
    upstream = task.get_flat_relative_ids(upstream=True)
    assert "sync_shop" in upstream
    if layout == "built_shop":
        assert "dbt_build" in upstream, "pii_scan must run after the dbt build"
    else:
        assert "dbt.fct_orders.run" in upstream and "dbt_build" not in upstream, "pii_scan must run after the models"
    assert not task.downstream_list or all(t.task_id != "sync_shop" for t in task.downstream_list)


def test_no_pii_task_without_syncs(built_shop: Path, tmp_path: Path) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_schedule_dag

    project = load_project(built_shop)
    schedule = next(s for s in project.schedules if s.name == "shop_daily")
    dbt_only = schedule.model_copy(
        update={"type": type(schedule.type)("dbt"), "dbt_command": "dbt build", "sources": []}
    )
    dag = build_schedule_dag(project, dbt_only)
    assert "pii_scan" not in dag.task_ids


def test_operator_scans_and_returns_masked_summary(synced_shop: Path, tmp_path: Path) -> None:
    from airflow_provider_dango.operators.pii import DangoPiiScanOperator

    root = fresh_copy(synced_shop, tmp_path / "shop")
    op = DangoPiiScanOperator(task_id="pii_scan", project_dir=str(root), schemas=["raw_shop"], schedule="shop_daily")
    summary = op.execute({"run_id": "scheduled__2026-11-21T06:00:00+00:00"})
    assert summary["run_id"] == "scheduled__2026-11-21T06:00:00+00:00"
    assert summary["findings"] == 5
    assert {(f["table"], f["column"]) for f in summary["new"]} >= {("raw_shop.orders", "notes")}
    text = json.dumps(summary)
    assert "@example." not in text  # masked examples only ("j***@e***.com")
    again = op.execute({"run_id": "scheduled__2026-11-22T06:00:00+00:00"})
    assert again["findings"] == 5 and again["new"] == []
