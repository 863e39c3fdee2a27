"""A demo-like run of the shop DAG with a failing critical test: the listener, the dbt results (the demo's one
`dbt_build` task, or Cosmos's callback with `dbt_tasks: per_model`) and a checking task fill every audit table, and the
curated views tell the story of that run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_dango.audit import spool
from airflow_provider_dango.audit.store import TABLES
from airflow_provider_dango.warehouse import for_project

PLANTED_TESTS = """      - name: revenue
        data_tests:
          - not_null
      - name: currency
        data_tests:
          - accepted_values:
              arguments: {values: ['EUR']}
              config: {tags: [critical]}
          - accepted_values:
              name: currency_is_usd_warn
              arguments: {values: ['USD']}
              config: {severity: warn}"""


# The task that fails, per `dbt_tasks` layout: the one dbt build, or the Cosmos test task of daily_revenue.
FAILING_TASK = {"single": "dbt_build", "per_model": "dbt.daily_revenue.test"}


@pytest.fixture(scope="module", params=["single", "per_model"])
def audited_run(
    airflow_db: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Any]:
    from tests.conftest import copy_project, set_dbt_tasks

    root = set_dbt_tasks(copy_project(tmp_path_factory.mktemp("audit") / "shop"), request.param)
    marts = root / "dbt" / "models" / "marts" / "_marts.yml"
    text = marts.read_text()
    assert "      - name: revenue\n        data_tests: [not_null]" in text
    marts.write_text(text.replace("      - name: revenue\n        data_tests: [not_null]", PLANTED_TESTS))
    schedules = root / ".dango" / "schedules.yml"
    schedules.write_text(
        schedules.read_text().replace("    timeout_minutes: 30\n", "    timeout_minutes: 30\n    retries: 0\n")
    )

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANGO_PROJECT_DIR", str(root))
        from airflow_provider_dango import dag_factory
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.dbt import build_manifest
        from airflow_provider_dango.scaffold import DAG_FILE
        from tests.audit import check_step

        mp.setattr(dag_factory, "PIPELINE_STEPS", [*dag_factory.PIPELINE_STEPS, check_step.pipeline_step])
        (airflow_db / "dags" / "dango_dags.py").write_text(DAG_FILE, encoding="utf-8")
        project = load_project(root)
        build_manifest(project)
        dag = dag_factory.build_dags(root)["dango_shop_daily"]
        dag_run = dag.test()

        from airflow_provider_dango.audit.views import build_views

        build_views(project)
    return {"project": project, "dag": dag, "dag_run": dag_run, "failing_task": FAILING_TASK[request.param]}


def _query(project: Any, sql: str, params: list[Any] | None = None) -> list[tuple]:
    from airflow_provider_dango.warehouse import connect

    with connect(for_project(project).path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_run_fills_every_audit_table(audited_run: dict[str, Any]) -> None:
    project, dag, dag_run = audited_run["project"], audited_run["dag"], audited_run["dag_run"]
    assert str(dag_run.state) == "failed"
    run_id = dag_run.run_id
    assert spool.count(for_project(project).path) == 0, "everything spooled was flushed at the end of the run"
    for table in TABLES:
        n = _query(project, f'SELECT count(*) FROM dango."{table}" WHERE run_id = ?', [run_id])[0][0]
        assert n > 0, f"{table} has no row for the run"
    runs = _query(
        project, "SELECT state, schedule, sources, run_url FROM dango.dango_audit_dag_runs WHERE run_id = ?", [run_id]
    )
    assert runs[0][:3] == ("failed", "shop_daily", "shop") and runs[0][3].startswith("http://localhost:8080/dags/")
    tasks = dict(_query(project, "SELECT task_id, state FROM dango.dango_audit_task_runs WHERE run_id = ?", [run_id]))
    # One row per task, except check steps after dbt that never started because the dbt build failed (pii_scan,
    # monitors and profile: upstream_failed is set by the scheduler after the run's end event in dag.test()).
    after_dbt = {"monitors", "pii_scan", "profile"}
    assert set(tasks) == {t.task_id for t in dag.tasks if t.task_id not in after_dbt} | (after_dbt & set(tasks))
    assert tasks["sync_shop"] == "success" and tasks[audited_run["failing_task"]] == "failed"
    error = _query(
        project,
        "SELECT error_summary FROM dango.dango_audit_task_runs WHERE task_id = ? AND run_id = ?",
        [audited_run["failing_task"], run_id],
    )[0][0]
    assert "accepted_values_daily_revenue_currency__EUR" in error
    dbt = {
        r[0]: r[1:]
        for r in _query(
            project,
            "SELECT node_name, status, failures, severity, tags FROM dango.dango_audit_dbt_results WHERE run_id = ?",
            [run_id],
        )
    }
    assert dbt["accepted_values_daily_revenue_currency__EUR"] == ("fail", 2, "critical", "critical")
    assert dbt["currency_is_usd_warn"][0] == "warn" and dbt["currency_is_usd_warn"][2] == "warn"
    assert dbt["fct_orders"][0] == "success" and dbt["fct_orders"][2] == "info"
    checks = _query(
        project,
        "SELECT check_name, target, status FROM dango.dango_audit_check_results WHERE run_id = ? ORDER BY 1, 2",
        [run_id],
    )
    # The real schema_drift task (raw_shop) and the stand-in step (raw_shop.orders, the monitor) both recorded.
    assert checks == [
        ("drift", "raw_shop", "pass"),
        ("drift", "raw_shop.orders", "pass"),
        ("monitor:orders_count", "raw_shop.orders", "flag"),
    ]


def test_views_tell_the_failing_run(audited_run: dict[str, Any]) -> None:
    from airflow_provider_dango.audit.views import read_view

    project, dag_run = audited_run["project"], audited_run["dag_run"]
    [summary] = read_view(project, "vw_run_summary", where="run_id = ?", params=[dag_run.run_id])
    assert summary["status"] == "failed"
    assert summary["verdict"] == "CRITICAL: look now"
    assert summary["tests_failed"] == 1 and summary["tests_warned"] == 1 and summary["critical_problems"] == 1
    assert summary["tests_passed"] >= 10 and summary["models_built"] == 5
    assert summary["rows_loaded"] > 0 and summary["monitor_findings"] == 1 and summary["drift_findings"] == 0
    failures = read_view(project, "vw_recent_failures", where="run_id = ?", params=[dag_run.run_id])
    kinds = sorted((f["failure_kind"], f["failed_item"], f["severity"]) for f in failures)
    assert kinds == [
        ("dbt test", "accepted_values_daily_revenue_currency__EUR", "critical"),
        ("task", audited_run["failing_task"], "error"),
    ]
    assert all(f["error_text"] and f["run_url"] for f in failures)
    history = {r["check_name"]: r for r in read_view(project, "vw_check_history_9d", limit=100)}
    assert history["accepted_values_daily_revenue_currency__EUR"]["pattern"] == "one-off"
    assert history["accepted_values_daily_revenue_currency__EUR"]["timeline_9d"].endswith("F")
    assert history["monitor:orders_count"]["last_outcome"] == "flag"


def test_demo_section_prints_the_run(audited_run: dict[str, Any]) -> None:
    from rich.console import Console

    from airflow_provider_dango.demo.audit import story as demo_section

    console = Console(record=True, width=200)
    demo_section(audited_run["project"], audited_run["dag"], audited_run["dag_run"], console)
    text = console.export_text()
    assert "CRITICAL: look now" in text and "shop_daily" in text
    assert "tests 12 passed, 1 failed, 1 warned" in text and "monitors 1" in text
    assert "dag_runs: 1," in text and "check_results: 3" in text


PROBE_DAG = """
import datetime as dt
import os
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

with DAG("dango_audit_probe", schedule=None, start_date=dt.datetime(2024, 1, 1), tags=["dango"]) as dag:
    PythonOperator(
        task_id="work",
        python_callable=lambda: Path(os.environ["DANGO_AUDIT_PROBE_MARKER"]).write_text("done"),
    )
"""


def test_a_listener_that_cannot_write_does_not_fail_the_task(airflow_db: Path, shop_project: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from airflow_provider_dango.audit import listener
    from airflow_provider_dango.config import load_project

    project = load_project(shop_project)
    spool.spool_path(for_project(project).path).mkdir(parents=True)  # a folder where the spool file should be
    marker = shop_project / "ran.txt"
    probe = airflow_db / "dags" / "dango_audit_probe.py"
    probe.write_text(PROBE_DAG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANGO_PROJECT_DIR", str(shop_project))
        mp.setenv("DANGO_AUDIT_PROBE_MARKER", str(marker))
        attempts: list[bool] = []
        real_record = listener.record_task_run
        mp.setattr(listener, "record_task_run", lambda *a, **k: attempts.append(real_record(*a, **k)))
        try:
            dag = DagBag(dag_folder=str(probe)).dags["dango_audit_probe"]
            dag_run = dag.test()
        finally:
            probe.unlink()  # the DAGs folder is shared by the whole test session
    assert str(dag_run.state) == "success"
    assert marker.read_text() == "done"
    assert attempts and not any(attempts), "the listener ran for the task and every write failed"
