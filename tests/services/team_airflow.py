"""The demo shop under a team's Airflow, all on 127.0.0.1: scheduler, dag-processor, triggerer and api-server with
the CeleryExecutor, a Redis broker and two Celery workers, Airflow's metadata (and Celery's results) in PostgreSQL,
and the warehouse in PostgreSQL or in the demo's DuckDB file. Used by the multi-worker test and `bench/celery_run.py`.

Nothing in dango's config names the executor, the broker or the workers. The only addition is an Airflow cluster
policy, as a platform team would write one, that sends the dbt tasks to a `dbt` queue: one worker serves `default`,
the other `dbt`, so every run uses both, whatever order the broker hands out tasks in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.services.airflow import Celery, CeleryWorker, RunningAirflow, running_airflow
from tests.services.postgres import PostgresServer, create_database, point_project_at
from tests.services.redis import running_redis

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "dango_shop_daily"
WORKERS = (CeleryWorker("worker-a", ("default",)), CeleryWorker("worker-b", ("dbt",)))
WAREHOUSES = ("duckdb", "postgres")

# $AIRFLOW_HOME/config/airflow_local_settings.py: Airflow applies it to every task when it parses DAG files.
ROUTING_POLICY = '''"""Cluster policy: dbt work goes to the workers that serve the `dbt` queue."""


def task_policy(task):
    if task.task_id == "dbt_build" or task.task_id.startswith("dbt."):
        task.queue = "dbt"
'''

@dataclass
class TeamAirflow:
    airflow: RunningAirflow
    project: Path
    warehouse: str
    env: dict[str, str]  # what the project's tasks see (PostgreSQL credentials for the warehouse)


def prepare_project(root: Path, warehouse: PostgresServer | None) -> tuple[Path, dict[str, str]]:
    """A private copy of the demo shop, its warehouse in `warehouse` (PostgreSQL) or else its DuckDB file, with its
    dbt manifest built; and the environment its profile reads."""
    from tests.conftest import copy_project

    project = copy_project(root / "shop")
    env = point_project_at(project, warehouse) if warehouse else {}
    dango = Path(sys.executable).parent / "dango"
    subprocess.run([str(dango), "dbt", "manifest", "--project-dir", str(project)], check=True, capture_output=True,
                   env={**os.environ, **env})
    return project, env


@contextmanager
def team_airflow(root: Path, server: PostgresServer, warehouse: str = "postgres") -> Iterator[TeamAirflow]:
    """Start the whole topology under `root`, yield it with the DAG parsed, and stop every process afterwards."""
    if warehouse not in WAREHOUSES:
        raise ValueError(f"warehouse must be one of {WAREHOUSES}, not {warehouse!r}")
    meta = create_database(server, "dango_airflow_meta")
    project, env = prepare_project(
        root, create_database(server, "dango_warehouse") if warehouse == "postgres" else None
    )
    dags = root / "dags"
    dags.mkdir(exist_ok=True)
    shutil.copy(REPO / "dags" / "dango_dags.py", dags)
    home = root / "airflow"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "airflow_local_settings.py").write_text(ROUTING_POLICY)

    url = f"postgresql+psycopg2://{server.user}:{server.password}@{server.host}:{server.port}/{meta.dbname}"
    with ExitStack() as stack:
        broker = stack.enter_context(running_redis())
        celery = Celery(broker_url=broker, result_backend="db+" + url.replace("+psycopg2", "", 1), workers=WORKERS)
        airflow = stack.enter_context(
            running_airflow(home, dags, {"DANGO_PROJECT_DIR": str(project), **env}, metadata_url=url, celery=celery)
        )
        airflow.wait_for_dag(DAG_ID)
        yield TeamAirflow(airflow, project, warehouse, env)
