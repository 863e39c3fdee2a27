"""The demo's sync DAG past one machine: CeleryExecutor, Redis broker, two workers, Airflow metadata in PostgreSQL.

Starts everything itself on 127.0.0.1 and stops it afterwards: a PostgreSQL cluster (Airflow's metadata, Celery's
results and, with `--warehouse postgres`, the warehouse), Debian's `redis-server` as the broker, the scheduler,
dag-processor, triggerer and api-server, and two `airflow celery worker` processes (`worker-a` serves the `default`
queue, `worker-b` the `dbt` queue that a cluster policy routes the dbt tasks to). Triggers `dango_shop_daily` once
to warm up, then `--runs` more times, and reports each run's time (start to end in the metadata database), which
worker ran which tasks, and whether the run's audit rows reached the warehouse.

    .venv/bin/python bench/celery_run.py --warehouse postgres --runs 2
    .venv/bin/python bench/celery_run.py --warehouse duckdb --runs 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.services.postgres import running_postgres  # noqa: E402
from tests.services.team_airflow import DAG_ID, WAREHOUSES, TeamAirflow, team_airflow  # noqa: E402


def _seconds(start: object, end: object) -> float:
    def as_dt(value: object) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    return (as_dt(end) - as_dt(start)).total_seconds()


def _audited(team: TeamAirflow, run_id: str) -> tuple[str | None, int]:
    """(the run's state in dango_audit_dag_runs, how many task rows) read through dango's own warehouse layer."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import for_project, qualified

    os.environ.update(team.env)
    warehouse = for_project(load_project(team.project))
    dag = warehouse.rows(f"select state from {qualified('dango_audit_dag_runs')} where dag_id = ? and run_id = ?",
                         [DAG_ID, run_id])
    tasks = warehouse.rows(f"select count(*) from {qualified('dango_audit_task_runs')} where dag_id = ? and run_id = ?",
                           [DAG_ID, run_id])
    return (dag[0][0] if dag else None), tasks[0][0]


def run_variant(root: Path, warehouse: str, runs: int) -> int:
    print(f"== warehouse: {warehouse}")
    durations: list[float] = []
    run_ids: list[str] = []
    with running_postgres() as server:
        with team_airflow(root / warehouse, server, warehouse) as team:
            airflow = team.airflow
            for i in range(runs + 1):
                # The warm-up is the run Airflow makes on unpausing (the latest daily run); then manual runs.
                run_id = airflow.trigger(DAG_ID) if i else airflow.scheduled_run(DAG_ID)
                state = airflow.wait_for_run(DAG_ID, run_id, timeout=1800)
                ((start, end),) = airflow.query(
                    "select start_date, end_date from dag_run where dag_id = ? and run_id = ?", (DAG_ID, run_id)
                )
                placed = airflow.query(
                    "select hostname, queue from task_instance where dag_id = ? and run_id = ?", (DAG_ID, run_id)
                )
                took = _seconds(start, end)
                where = ", ".join(f"{host} ({queue}): {n}" for (host, queue), n in sorted(Counter(placed).items()))
                label = "warm-up" if i == 0 else f"run {i}"
                print(f"{label}: {state} in {took:.1f} s; tasks per worker: {where}")
                if state != "success":
                    print(airflow.task_states(DAG_ID, run_id))
                    return 1
                run_ids.append(run_id)
                if i:
                    durations.append(took)
        # Every Airflow process has stopped: what is in the warehouse now is all there will be.
        for run_id in run_ids:
            dag_state, task_rows = _audited(team, run_id)
            print(f"audit rows for {run_id}: dag run {dag_state}, {task_rows} task rows")
            if dag_state != "success":
                return 1
    if durations:
        print(f"warm run ({warehouse}): median {statistics.median(durations):.1f} s (min {min(durations):.1f}, "
              f"max {max(durations):.1f}) over {len(durations)} runs")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", choices=[*WAREHOUSES, "both"], default="postgres")
    parser.add_argument("--runs", type=int, default=2, help="timed warm runs after the warm-up (default 2)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="dango-celery-"))
    root.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        for warehouse in WAREHOUSES if args.warehouse == "both" else (args.warehouse,):
            code = code or run_variant(root, warehouse, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return code


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"(benchmark took {time.monotonic() - started:.0f} s)")
    raise SystemExit(code)
