"""The demo's sync DAG under a real Airflow: how long a warm run takes, end to end, and how long the dag-processor
takes to parse the DAG file.

Starts its own scheduler, dag-processor, triggerer and api-server (LocalExecutor, SQLite metadata) on 127.0.0.1
against a temporary AIRFLOW_HOME, triggers the demo's `dango_shop_daily` once to warm up (first load of the warehouse,
dbt partial-parse caches), then `--runs` more times, and stops everything. A run's time is from its `start_date` to its
`end_date` in the metadata database (queueing included, trigger latency not).

    .venv/bin/python bench/scheduler_run.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from tests.conftest import copy_project  # noqa: E402
from tests.services.airflow import running_airflow  # noqa: E402

DAG_ID = "dango_shop_daily"


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _only_triggered_runs(project: Path, dbt_tasks: str | None) -> None:
    """Only the runs this script triggers: with `catchup: none` (and no start date) unpausing starts no run."""
    path = project / ".dango" / "schedules.yml"
    schedules = yaml.safe_load(path.read_text())
    for schedule in schedules["schedules"]:
        schedule["catchup"] = "none"
        if dbt_tasks:
            schedule["dbt_tasks"] = dbt_tasks
    path.write_text(yaml.safe_dump(schedules, sort_keys=False))


def _task_breakdown(airflow, run_id: str) -> list[str]:
    """Per task: waiting (queued -> start) and running (start -> end) seconds, in start order."""
    rows = airflow.query(
        "select task_id, queued_dttm, start_date, end_date from task_instance where dag_id = ? and run_id = ? "
        "and start_date is not null order by start_date",
        (DAG_ID, run_id),
    )
    lines = []
    for task_id, queued, start, end in rows:
        wait = _seconds(queued, start) if queued else float("nan")
        lines.append(f"    {task_id:<32} queued->start {wait:5.1f} s   start->end {_seconds(start, end):5.1f} s")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed warm runs (default 3)")
    parser.add_argument("--dbt-tasks", choices=["per_model", "single"],
                        help="override the demo schedule's `dbt_tasks` (default: as the demo sets it)")
    parser.add_argument("--tasks", action="store_true", help="print each task's waiting and running time")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="dango-sched-"))
    root.mkdir(parents=True, exist_ok=True)
    project = copy_project(root / "shop") if not (root / "shop").exists() else root / "shop"
    _only_triggered_runs(project, args.dbt_tasks)
    dango = Path(sys.executable).parent / "dango"
    subprocess.run([str(dango), "dbt", "manifest", "--project-dir", str(project)], check=True, capture_output=True)
    dags = root / "dags"
    dags.mkdir(exist_ok=True)
    shutil.copy(REPO / "dags" / "dango_dags.py", dags)

    durations: list[float] = []
    try:
        with running_airflow(root / "airflow", dags, {"DANGO_PROJECT_DIR": str(project)}) as airflow:
            airflow.wait_for_dag(DAG_ID)
            for i in range(args.runs + 1):
                run_id = airflow.trigger(DAG_ID)
                state = airflow.wait_for_run(DAG_ID, run_id, timeout=1800)
                ((start, end),) = airflow.query(
                    "select start_date, end_date from dag_run where dag_id = ? and run_id = ?", (DAG_ID, run_id)
                )
                took = _seconds(start, end)
                label = "warm-up" if i == 0 else f"run {i}"
                load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"{label}: {state} in {took:.1f} s  ({len(airflow.task_states(DAG_ID, run_id))} tasks, "
                      f"load average {load})")
                if args.tasks:
                    print("\n".join(_task_breakdown(airflow, run_id)))
                if state != "success":
                    print(airflow.task_states(DAG_ID, run_id))
                    return 1
                if i:
                    durations.append(took)
            parse = airflow.query("select last_parse_duration from dag where dag_id = ?", (DAG_ID,))[0][0]
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"warm run: median {statistics.median(durations):.1f} s (min {min(durations):.1f}, "
          f"max {max(durations):.1f}) over {len(durations)} runs")
    print(f"dag-processor parse of dango_dags.py: {parse:.2f} s")
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"(benchmark took {time.monotonic() - started:.0f} s)")
    raise SystemExit(code)
