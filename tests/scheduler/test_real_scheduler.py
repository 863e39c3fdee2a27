"""The demo's sync DAG under a real Airflow (scheduler, dag-processor, triggerer, api-server, LocalExecutor), the
way a team deploys it: nothing created by hand, not even the pool. The run must succeed, its audit rows land in the
warehouse, and the success alert reach a webhook receiver on 127.0.0.1 (DAG callbacks run in the dag-processor).
Then the pool is deleted while the scheduler runs: the next run must not hang on it (the scheduler creates it again as
the run starts, with one log line). Then the pool is widened to 4 slots, so tasks that open the DuckDB file run side by
side: that run must succeed too, with no lock error, because every one of them (dbt included) waits for the warehouse
lock."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import yaml

from airflow_provider_dango.alerts.receiver import Receiver
from tests.conftest import REPO, copy_project
from tests.services.airflow import running_airflow

DAG_ID = "dango_shop_daily"


def _project(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "shop")
    schedules_path = project / ".dango" / "schedules.yml"
    schedules = yaml.safe_load(schedules_path.read_text())
    schedules["schedules"][0]["notify_on"] = ["failure", "success"]
    # Only the runs the test triggers: with `catchup: none` and no start date, unpausing starts nothing (a run the
    # scheduler started at unpause would hold the triggered one back: max_active_runs 1). Asserted at the end.
    schedules["schedules"][0]["catchup"] = "none"
    schedules["notifications"]["webhooks"] = [{"name": "ops", "url": "${DANGO_TEST_WEBHOOK}", "format": "generic"}]
    schedules_path.write_text(yaml.safe_dump(schedules, sort_keys=False))
    return project


def _state(airflow, run_id: str) -> str | None:
    rows = airflow.query("select state from dag_run where dag_id = ? and run_id = ?", (DAG_ID, run_id))
    return rows[0][0] if rows else None


def test_demo_sync_dag_under_a_real_scheduler(tmp_path: Path) -> None:
    import subprocess
    import sys

    project = _project(tmp_path)
    dango = Path(sys.executable).parent / "dango"
    subprocess.run([str(dango), "dbt", "manifest", "--project-dir", str(project)], check=True, capture_output=True)
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags" / "dango_dags.py", dags)

    with Receiver() as receiver:
        env = {"DANGO_PROJECT_DIR": str(project), "DANGO_TEST_WEBHOOK": receiver.url("/hook")}
        with running_airflow(tmp_path / "airflow", dags, env) as airflow:
            airflow.wait_for_dag(DAG_ID)
            run_id = airflow.trigger(DAG_ID)
            state = airflow.wait_for_run(DAG_ID, run_id, timeout=900)
            tasks = airflow.task_states(DAG_ID, run_id)
            assert state == "success", f"{tasks}\n{airflow.log_tail('scheduler')}"
            assert set(tasks.values()) == {"success"}
            # The provider made the pool when the scheduler started: one slot, DuckDB's one writer.
            assert airflow.query("select slots from slot_pool where pool = 'dango_warehouse'") == [(1,)]
            deadline = time.monotonic() + 60
            while not receiver.on("/hook") and time.monotonic() < deadline:
                time.sleep(0.5)

            # A pool deleted after the scheduler started: before the run's tasks are scheduled, the scheduler makes it
            # again. Without that they sit in `scheduled` and the scheduler logs about the pool every second.
            airflow.cli("pools", "delete", "dango_warehouse")
            scheduler_log = airflow.home / "scheduler.log"
            logged_before = len(scheduler_log.read_text(errors="replace"))
            again = airflow.trigger(DAG_ID)
            while (again_state := _state(airflow, again)) not in ("success", "failed"):
                new_lines = scheduler_log.read_text(errors="replace")[logged_before:]
                assert "non-existent pool" not in new_lines, f"tasks wait on a missing pool:\n{new_lines[-2000:]}"
                airflow.check_alive()
                time.sleep(1)
            assert again_state == "success", airflow.task_states(DAG_ID, again)
            assert airflow.query("select slots from slot_pool where pool = 'dango_warehouse'") == [(1,)]
            assert "uses the Airflow pool 'dango_warehouse', which did not exist: created it with 1 slot" in (
                scheduler_log.read_text(errors="replace")[logged_before:]
            )

            airflow.cli("pools", "set", "dango_warehouse", "4", "four slots: the lock must serialise")
            wide_run = airflow.trigger(DAG_ID)
            wide_state = airflow.wait_for_run(DAG_ID, wide_run, timeout=900)
            wide_tasks = airflow.task_states(DAG_ID, wide_run)
            assert wide_state == "success", f"{wide_tasks}\n{airflow.log_tail('scheduler')}"
            logs = "\n".join(p.read_text(errors="replace") for p in (airflow.home / "logs").rglob("*.log"))
            assert "Could not set lock" not in logs and "Conflicting lock" not in logs
            # `catchup: none`: the scheduler started no run of its own when the DAG was unpaused.
            assert airflow.query(
                "select count(*) from dag_run where dag_id = ? and run_type = 'scheduled'", (DAG_ID,)
            ) == [(0,)]

    events = [r.json for r in receiver.on("/hook")]
    completed = [e for e in events if e["event"] == "sync_completed"]
    assert completed, f"no sync_completed alert reached the receiver: {events}"
    assert completed[0]["schedule"] == "shop_daily"
    assert completed[0]["rows_loaded"] > 3000

    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        (dag_state,) = con.execute(
            "select state from dango.dango_audit_dag_runs where dag_id = ? and run_id = ?", [DAG_ID, run_id]
        ).fetchone()
        audited = dict(con.execute(
            "select task_id, state from dango.dango_audit_task_runs where dag_id = ? and run_id = ?", [DAG_ID, run_id]
        ).fetchall())
    finally:
        con.close()
    assert dag_state == "success"
    assert audited == tasks
