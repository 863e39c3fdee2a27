"""DAG integrity: the generated DAGs load in a real DagBag with the right schedule, retries, timeouts, tags, pools,
Assets and dbt tasks; a broken schedule shows up as an import error naming file, line and key, and hides nothing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

DAG_FILE = REPO / "dags" / "dango_dags.py"


def dagbag_for(project: Path, tmp_path: Path):
    from airflow.dag_processing.dagbag import DagBag

    folder = tmp_path / "dags"
    folder.mkdir(exist_ok=True)
    shutil.copy(DAG_FILE, folder / "dango_dags.py")
    old = os.environ.get("DANGO_PROJECT_DIR")
    os.environ["DANGO_PROJECT_DIR"] = str(project)
    try:
        return DagBag(dag_folder=str(folder), safe_mode=True)
    finally:
        if old is None:
            os.environ.pop("DANGO_PROJECT_DIR", None)
        else:
            os.environ["DANGO_PROJECT_DIR"] = old


def edit_schedules(project: Path, text: str) -> None:
    (project / ".dango" / "schedules.yml").write_text(text, encoding="utf-8")


@pytest.fixture
def shop(built_shop: Path, tmp_path: Path) -> Path:
    """A private copy of the built demo project (manifest included) for tests that edit its YAML."""
    dest = tmp_path / "shop"
    shutil.copytree(built_shop, dest, symlinks=True)
    return dest


def test_demo_dags_load_without_import_errors(built_shop: Path, tmp_path: Path) -> None:
    bag = dagbag_for(built_shop, tmp_path)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["dango_shop_daily"]  # marts_refresh is disabled: no DAG
    dag = bag.dags["dango_shop_daily"]
    assert {"dango", "dango:sync", "demo"} <= set(dag.tags)
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.execution_timeout == dt.timedelta(minutes=30)
        assert task.pool == "dango_warehouse"
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_sync_dag_shape(built_shop: Path, tmp_path: Path) -> None:
    """The demo runs its dbt work as one task (`dbt_tasks: single`): sync, drift check, one `dbt build`, checks."""
    dag = dagbag_for(built_shop, tmp_path).dags["dango_shop_daily"]
    sync = dag.get_task("sync_shop")
    assert {a.uri for a in sync.outlets} == {
        "dango://shop/raw_shop", "dango://shop/raw_shop/customers", "dango://shop/raw_shop/orders"
    }
    assert sorted(dag.task_ids) == ["dbt_build", "monitors", "pii_scan", "profile", "schema_drift", "sync_shop"]
    build = dag.get_task("dbt_build")
    assert "sync_shop" in build.get_flat_relative_ids(upstream=True)
    assert build.select == ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]


def test_sync_dag_shape_per_model(built_shop_per_model: Path, tmp_path: Path) -> None:
    """`dbt_tasks: per_model` on the demo: Cosmos renders a run task per model, each after the sync."""
    dag = dagbag_for(built_shop_per_model, tmp_path).dags["dango_shop_daily"]
    assert "dbt_build" not in dag.task_ids
    dbt_runs = sorted(t.task_id for t in dag.tasks if t.task_id.startswith("dbt.") and t.task_id.endswith(".run"))
    assert dbt_runs == [f"dbt.{m}.run" for m in
                        ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]]
    # Every dbt model waits for the sync.
    for task_id in dbt_runs:
        assert "sync_shop" in dag.get_task(task_id).get_flat_relative_ids(upstream=True)


def test_timetable_timezone_and_catchup_mapping(shop: Path, tmp_path: Path) -> None:
    import pendulum
    from airflow.timetables.base import TimeRestriction
    from airflow.timetables.trigger import CronTriggerTimetable

    edit_schedules(
        shop,
        """\
schedules:
  - {name: latest_default, cron: daily, timezone: Europe/Berlin, sources: [shop], type: sync_only}
  - {name: grace, cron: every_hour, sources: [shop], type: sync_only, misfire_grace_time: 600}
  - {name: none_mode, cron: weekly, sources: [shop], type: sync_only, catchup: none}
  - {name: all_mode, cron: daily, sources: [shop], type: sync_only, catchup: all, start_date: 2025-03-01}
  - {name: custom_retry, cron: daily, sources: [shop], type: sync_only, retries: 5, retry_delay_seconds: 10,
     retry_exponential_backoff: false, max_active_runs: 3, tags: [finance]}
""",
    )
    bag = dagbag_for(shop, tmp_path)
    assert bag.import_errors == {}
    latest = bag.dags["dango_latest_default"]
    assert isinstance(latest.timetable, CronTriggerTimetable)
    assert latest.timetable._expression == "0 6 * * *"
    assert str(latest.timetable._timezone.name) == "Europe/Berlin"
    assert latest.timetable._run_immediately is True and latest.catchup is False
    assert bag.dags["dango_grace"].timetable._run_immediately == dt.timedelta(seconds=600)
    assert bag.dags["dango_none_mode"].timetable._run_immediately is False
    # What the scheduler does when each DAG is first unpaused: `none` waits for the next cron time, `latest` runs the
    # most recent one at once, `misfire_grace_time` only when it passed less than that long ago.
    now = pendulum.now("UTC")
    for dag_id, runs_now in (("dango_none_mode", False), ("dango_latest_default", True)):
        dag = bag.dags[dag_id]
        info = dag.timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=TimeRestriction(dag.start_date, dag.end_date, dag.catchup)
        )
        assert (info.run_after <= now) is runs_now, (dag_id, info.run_after, now)
    all_mode = bag.dags["dango_all_mode"]
    assert all_mode.catchup is True and all_mode.start_date.date() == dt.date(2025, 3, 1)
    custom = bag.dags["dango_custom_retry"]
    task = custom.get_task("sync_shop")
    assert (task.retries, task.retry_delay, task.retry_exponential_backoff) == (5, dt.timedelta(seconds=10), 0)
    assert custom.max_active_runs == 3 and "finance" in custom.tags
    default = latest.get_task("sync_shop")
    assert (default.retries, default.retry_delay, default.retry_exponential_backoff) == (
        2, dt.timedelta(seconds=30), 4.0)


def test_dbt_schedule_on_assets_and_plain_command(shop: Path, tmp_path: Path) -> None:
    edit_schedules(
        shop,
        """\
schedules:
  - {name: marts, type: dbt, on_assets: [shop], dbt_command: "dbt build --select marts"}
  - {name: seed_it, type: dbt, cron: daily, dbt_command: "dbt seed"}
""",
    )
    bag = dagbag_for(shop, tmp_path)
    assert bag.import_errors == {}
    marts = bag.dags["dango_marts"]
    assert type(marts.timetable).__name__ == "AssetTriggeredTimetable"
    assert [a.uri for a in marts.timetable.asset_condition.objects] == ["dango://shop/raw_shop"]
    runs = sorted(t.task_id for t in marts.tasks if t.task_id.endswith(".run"))
    assert runs == ["dbt.daily_revenue.run", "dbt.dim_customers.run", "dbt.fct_orders.run"]
    seed = bag.dags["dango_seed_it"]
    assert [t.task_id for t in seed.tasks] == ["dbt"]


def test_single_dbt_task_shape(shop: Path, tmp_path: Path) -> None:
    """`dbt_tasks: single`: the dbt work is one `dbt_build` task after the drift check, checks after it; a `type: dbt`
    schedule's selection goes to it as dbt's own flags."""
    edit_schedules(
        shop,
        """\
schedules:
  - {name: daily, cron: daily, sources: [shop], dbt_tasks: single}
  - {name: marts, type: dbt, cron: daily, dbt_command: "dbt run --select marts --exclude dim_customers --full-refresh",
     dbt_tasks: single}
""",
    )
    bag = dagbag_for(shop, tmp_path)
    assert bag.import_errors == {}
    daily = bag.dags["dango_daily"]
    assert sorted(daily.task_ids) == ["dbt_build", "monitors", "pii_scan", "profile", "schema_drift", "sync_shop"]
    build = daily.get_task("dbt_build")
    assert build.upstream_task_ids == {"schema_drift"}
    assert {"pii_scan", "monitors"} <= build.downstream_task_ids
    assert build.argv([]) == ["build", "--select", "daily_revenue", "dim_customers", "fct_orders", "stg_customers",
                              "stg_orders"]
    assert build.pool == "dango_warehouse" and build.drift_task_id == "schema_drift"
    marts = bag.dags["dango_marts"].get_task("dbt_build")
    assert marts.argv(["stg_orders"]) == [
        "run", "--select", "marts", "--exclude", "dim_customers", "stg_orders", "--full-refresh"]
    assert marts.upstream_task_ids == {"schema_drift"}  # its models read the shop source


def test_broken_schedule_is_an_import_error_and_the_rest_loads(shop: Path, tmp_path: Path) -> None:
    edit_schedules(
        shop,
        """\
schedules:
  - name: good
    cron: daily
    sources: [shop]
  - name: bad_cron
    cron: "99 * * * *"
    sources: [shop]
  - name: bad_key
    cron: daily
    sources: [shop]
    retrys: 3
  - name: also_good
    type: sync_only
    cron: every_hour
    sources: [shop]
""",
    )
    bag = dagbag_for(shop, tmp_path)
    assert sorted(bag.dag_ids) == ["dango_also_good", "dango_good"]
    (error,) = bag.import_errors.values()
    assert ".dango/schedules.yml:6: schedules[1].cron: invalid cron expression '99 * * * *'" in error
    assert ".dango/schedules.yml:11: schedules[2].retrys: unknown key (did you mean 'retries'?)" in error


def test_broken_yaml_file_still_reports_cleanly(shop: Path, tmp_path: Path) -> None:
    edit_schedules(shop, "schedules:\n  - name: x\n    cron: 'daily\n")
    bag = dagbag_for(shop, tmp_path)
    assert bag.dag_ids == []
    (error,) = bag.import_errors.values()
    assert ".dango/schedules.yml:" in error and "invalid YAML" in error


def test_missing_manifest_breaks_only_dbt_dags(shop: Path, tmp_path: Path) -> None:
    (shop / "dbt" / "target" / "manifest.json").unlink()
    edit_schedules(
        shop,
        "schedules:\n  - {name: with_dbt, cron: daily, sources: [shop]}\n"
        "  - {name: raw, type: sync_only, cron: daily, sources: [shop]}\n",
    )
    bag = dagbag_for(shop, tmp_path)
    assert bag.dag_ids == ["dango_raw"]
    (error,) = bag.import_errors.values()
    assert "schedule 'with_dbt'" in error and "run `dango dbt manifest" in error


def test_parsing_does_not_import_dlt_sources(built_shop: Path, tmp_path: Path) -> None:
    import sys

    sys.modules.pop("pipelines.shop_source", None)
    dagbag_for(built_shop, tmp_path)
    assert "pipelines.shop_source" not in sys.modules


def test_single_dbt_task_failure_names_the_failing_nodes(tmp_path: Path) -> None:
    """The one-task build's error line names each failing model and test (from this build's run_results.json)."""
    import json
    import time

    from airflow_provider_dango.operators.dbt import _failing_nodes, _node_statuses

    started = time.time() - 1
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.shop.stg_orders", "status": "success", "message": "OK"},
        {"unique_id": "test.shop.not_null_orders_amount.1a", "status": "fail", "failures": 3, "message": "Got 3"},
        {"unique_id": "model.shop.fct_orders", "status": "error", "message": "Binder Error: no column x\nmore"},
        {"unique_id": "model.shop.daily_revenue", "status": "skipped", "message": None},
    ]}), encoding="utf-8")
    assert _failing_nodes(tmp_path, started) == [
        "test.shop.not_null_orders_amount.1a (fail: 3 failing row(s))",
        "model.shop.fct_orders (error: Binder Error: no column x)",
    ]
    assert _node_statuses(tmp_path, started)["model.shop.daily_revenue"] == "skipped"
    assert _failing_nodes(tmp_path, time.time() + 60) == []  # a file left over from an earlier command is not read


def test_the_cached_manifest_follows_dbt_rewriting_it(tmp_path: Path) -> None:
    """A long-lived process (the dag-processor, `dango demo`) sees each new manifest dbt writes, and keeps only the
    latest one per file, not every version it has read."""
    import json
    import os
    from types import SimpleNamespace

    from airflow_provider_dango import dbt

    path = tmp_path / "manifest.json"
    project = SimpleNamespace(manifest_path=path)
    path.write_text(json.dumps({"nodes": {"model.p.a": {}}}), encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert set(dbt.load_manifest_cached(project)["nodes"]) == {"model.p.a"}
    path.write_text(json.dumps({"nodes": {"model.p.a": {}, "model.p.b": {}}}), encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # same time stamp: the size still tells them apart
    assert set(dbt.load_manifest_cached(project)["nodes"]) == {"model.p.a", "model.p.b"}
    assert len([k for k in dbt._MANIFESTS if str(path) in str(k)]) == 1
    assert dbt._MANIFESTS[str(path)][1] is dbt.load_manifest_cached(project)  # parsed once per version
