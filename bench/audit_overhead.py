"""Overhead of dango's audit listener per task (target: <= 50 ms).

Two measurements, medians (the machine is shared):

1. hooks: the work the listener adds to one task, called directly: `on_task_instance_running` +
   `on_task_instance_success` (two spool appends), cold (project config read afresh, as in a new task process)
   and warm.
2. dag.test: a DAG of N trivial tasks run with `dag.test()`, listener registered vs unregistered, alternating;
   (median with - median without) / N. This includes the end-of-run flush into DuckDB, spread over the N tasks.

Usage: .venv/bin/python bench/audit_overhead.py [--tasks 20] [--repeats 5] [--hook-iterations 200]
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
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
DAG_TEMPLATE = """
import datetime as dt
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("dango_bench_audit", schedule=None, start_date=dt.datetime(2024, 1, 1), tags=["dango"]) as dag:
    previous = None
    for i in range({n}):
        task = EmptyOperator(task_id=f"t{{i:03d}}")
        if previous is not None:
            previous >> task
        previous = task
"""


def _project_copy(root: Path) -> Path:
    project = root / "shop"
    ignore = shutil.ignore_patterns("data", "target", "dbt_packages", "logs", ".airflow", "__pycache__")
    shutil.copytree(REPO / "examples" / "shop", project, ignore=ignore)
    return project


def bench_hooks(project_dir: Path, iterations: int) -> tuple[float, float]:
    import datetime as dt

    from airflow_provider_dango.audit import listener, listener_core

    dag = SimpleNamespace(tags=["dango"], fileloc=None, dag_id="bench")
    task = SimpleNamespace(dag=dag, task_type="EmptyOperator", project_dir=str(project_dir))
    cold, warm = [], []
    for i in range(iterations):
        ti = SimpleNamespace(
            task=task,
            dag_id="bench",
            run_id="r",
            task_id=f"t{i}",
            map_index=-1,
            try_number=1,
            start_date=dt.datetime.now(dt.timezone.utc),
            end_date=None,
        )
        for samples, clear in ((cold, True), (warm, False)):
            if clear:
                listener_core._load.cache_clear()
                listener_core._load_settings_only.cache_clear()
            t0 = time.perf_counter()
            listener.on_task_instance_running(None, ti)
            listener.on_task_instance_success(None, ti)
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(cold), statistics.median(warm)


def bench_dag(project_dir: Path, home: Path, tasks: int, repeats: int) -> tuple[float, float]:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.listeners.listener import get_listener_manager
    from airflow.sdk.listener import get_listener_manager as get_sdk_listener_manager

    from airflow_provider_dango.audit import listener

    dag_file = home / "dags" / "dango_bench_audit.py"
    dag_file.write_text(DAG_TEMPLATE.format(n=tasks), encoding="utf-8")
    dag = DagBag(dag_folder=str(dag_file)).dags["dango_bench_audit"]
    managers = [get_listener_manager(), get_sdk_listener_manager()]

    def set_listener(on: bool) -> None:
        for manager in managers:
            registered = manager.pm.is_registered(listener)
            if on and not registered:
                manager.pm.register(listener)
            elif not on and registered:
                manager.pm.unregister(listener)

    with_listener, without = [], []
    dag.test()  # warm-up: imports, serialisation
    for _ in range(repeats):
        for on, samples in ((True, with_listener), (False, without)):
            set_listener(on)
            t0 = time.perf_counter()
            dag.test()
            samples.append(time.perf_counter() - t0)
    set_listener(True)
    return statistics.median(with_listener), statistics.median(without)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hook-iterations", type=int, default=200)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dango-bench-audit-"))
    home = tmp / "airflow"
    (home / "dags").mkdir(parents=True)
    os.environ.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        DO_NOT_TRACK="1",
    )
    project_dir = _project_copy(tmp)
    os.environ["DANGO_PROJECT_DIR"] = str(project_dir)
    print("migrating a scratch Airflow database...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)

    cold, warm = bench_hooks(project_dir, args.hook_iterations)
    print(
        f"listener hooks per task (running + success), median of {args.hook_iterations}: "
        f"cold {cold:.2f} ms, warm {warm:.2f} ms"
    )

    import logging

    logging.disable(logging.WARNING)
    with_l, without = bench_dag(project_dir, home, args.tasks, args.repeats)
    per_task = (with_l - without) / args.tasks * 1000
    print(
        f"dag.test of {args.tasks} tasks, median of {args.repeats}: with listener {with_l:.2f} s, "
        f"without {without:.2f} s -> {per_task:.1f} ms per task (includes the end-of-run flush)"
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
