"""The demo's sync DAG past one machine: a real scheduler, dag-processor, triggerer and api-server with the
CeleryExecutor, a Redis broker from Debian's packages, two `airflow celery worker` processes (each reporting its own
hostname, as on two machines), Airflow's metadata and Celery's results in PostgreSQL, all on 127.0.0.1 and stopped
afterwards. One run must succeed with its tasks on both workers, and its audit rows must land in the warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.services.team_airflow import DAG_ID, WORKERS, team_airflow

WAREHOUSE = "postgres"


@pytest.fixture
def redis_available() -> None:
    """Missing `redis-server` skips locally and fails under CI (`.ci/run` installs it)."""
    import shutil

    if shutil.which("redis-server") is None and not os.environ.get("CI"):
        pytest.skip("Redis: no redis-server binary (apt-get install redis-server)")


def test_demo_sync_dag_on_two_celery_workers(
    tmp_path: Path, postgres_server, redis_available, monkeypatch: pytest.MonkeyPatch
) -> None:
    with team_airflow(tmp_path, postgres_server, WAREHOUSE) as team:
        airflow = team.airflow
        # The run Airflow makes when the DAG is unpaused (the latest daily run, `catchup: latest`): one run in all.
        run_id = airflow.scheduled_run(DAG_ID)
        state = airflow.wait_for_run(DAG_ID, run_id, timeout=1200)
        tasks = airflow.task_states(DAG_ID, run_id)
        assert state == "success", f"{tasks}\n{airflow.log_tail('scheduler')}"
        assert set(tasks.values()) == {"success"}
        placed = airflow.query(
            "select task_id, queue, hostname from task_instance where dag_id = ? and run_id = ?", (DAG_ID, run_id)
        )
        logs = "\n".join(p.read_text(errors="replace") for p in (airflow.home / "logs").rglob("*.log"))

    # Each task ran on the worker serving its queue, and both workers took part.
    serves = {queue: worker.name for worker in WORKERS for queue in worker.queues}
    assert {host for _, _, host in placed} == {w.name for w in WORKERS}, placed
    assert all(host == serves[queue] for _, queue, host in placed), placed
    assert {queue for task, queue, _ in placed if task == "dbt_build" or task.startswith("dbt.")} == {"dbt"}
    assert "Could not set lock" not in logs and "Conflicting lock" not in logs

    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import for_project, qualified

    for key, value in team.env.items():
        monkeypatch.setenv(key, value)
    warehouse = for_project(load_project(team.project))
    assert warehouse.kind == WAREHOUSE
    dag_runs = warehouse.rows(
        f"select state from {qualified('dango_audit_dag_runs')} where dag_id = ? and run_id = ?", [DAG_ID, run_id]
    )
    audited = dict(warehouse.rows(
        f"select task_id, state from {qualified('dango_audit_task_runs')} where dag_id = ? and run_id = ?",
        [DAG_ID, run_id],
    ))
    assert dag_runs == [("success",)]
    assert audited == tasks
