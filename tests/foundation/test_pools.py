"""No dango task waits on a pool that does not exist, for any project: when the scheduler starts a queued run of a
dango DAG, it creates every missing pool the run's tasks use (one slot, one warning line naming pool and DAG), even a
pool named by a project that is not `$DANGO_PROJECT_DIR`'s or one deleted after the scheduler started. Other DAGs'
pools are left alone. Real metadata database (SQLite), the scheduler's own `_start_queued_dagruns`."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from tests.conftest import REPO

POOL = "dango_t_run_pool"
PLAIN_POOL = "t_plain_missing_pool"
SCHEDULES = """schedules:
  - {name: t_pools, type: sync_only, cron: daily, sources: [shop]}
"""
PLAIN_DAG = f'''"""Not a dango DAG: its missing pool is its owner's business."""
import datetime as dt

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("plain_t_pools", schedule=None, start_date=dt.datetime(2026, 1, 1)):
    EmptyOperator(task_id="work", pool="{PLAIN_POOL}")
'''


class _Lines(logging.Handler):
    """The warning lines the listener logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _sync_dags(folder: Path, project: Path) -> None:
    """Parse `folder` with the project in $DANGO_PROJECT_DIR and write its DAGs to the metadata database, unpaused,
    as the dag-processor and a user would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    os.environ["DANGO_PROJECT_DIR"] = str(project)
    try:
        bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder, bundle_name="dags-folder")
    finally:
        os.environ.pop("DANGO_PROJECT_DIR", None)  # the scheduler below knows nothing of this project
    assert bag.import_errors == {}, bag.import_errors
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        for dag_id in ("dango_t_pools", "plain_t_pools"):
            session.get(DagModel, dag_id).is_paused = False


def _queue_run(dag_id: str) -> str:
    """A queued manual run, alone: earlier runs of this DAG are deleted (the dango DAG allows one active run)."""
    import datetime as dt

    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.models.dagrun import DagRun
    from airflow.utils import timezone
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType

    with create_session() as session:
        for old in session.query(DagRun).filter(DagRun.dag_id == dag_id):
            session.delete(old)
    # A minute back: the scheduler starts runs whose run_after <= the database's now(), which SQLite has to the second.
    run_after = timezone.utcnow() - dt.timedelta(minutes=1)
    return trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.TEST, run_after=run_after).run_id


def test_scheduler_creates_a_missing_pool_of_a_dango_run(
    shop_project: Path, airflow_db: Path, tmp_path: Path
) -> None:
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.dagrun import DagRun
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from airflow.utils.sqlalchemy import prohibit_commit

    project_yml = shop_project / ".dango" / "project.yml"
    project_yml.write_text(project_yml.read_text().replace("pool: dango_warehouse", f"pool: {POOL}"))
    (shop_project / ".dango" / "schedules.yml").write_text(SCHEDULES)
    folder = airflow_db / "dags"
    shutil.copy(REPO / "dags" / "dango_dags.py", folder / "dango_dags.py")
    (folder / "plain_t_pools.py").write_text(PLAIN_DAG)
    try:
        _sync_dags(folder, shop_project)
        for name in (POOL, PLAIN_POOL):  # left by an earlier run of this test, or deleted after the scheduler started
            if Pool.get_pool(name):
                Pool.delete_pool(name)
        runs = {dag_id: _queue_run(dag_id) for dag_id in ("dango_t_pools", "plain_t_pools")}

        scheduler = SchedulerJobRunner(job=Job())
        lines = _Lines()
        logger = logging.getLogger("airflow_provider_dango.hooks.pools")
        logger.addHandler(lines)  # Airflow's logging setup keeps records from pytest's caplog
        try:
            # As the scheduler loop does: no commit but the guard's own (a listener's commit, even a savepoint's
            # release, breaks the run's start with "UNEXPECTED COMMIT").
            with create_session() as session, prohibit_commit(session) as guard:
                scheduler._start_queued_dagruns(session)
                guard.commit()
                states = {d: DagRun.find(dag_id=d, run_id=r, session=session)[0].state for d, r in runs.items()}
        finally:
            logger.removeHandler(lines)
    finally:
        (folder / "dango_dags.py").unlink()
        (folder / "plain_t_pools.py").unlink()
        with create_session() as session:  # leave no running run behind in the session's shared database
            session.query(DagRun).filter(DagRun.dag_id.in_(["dango_t_pools", "plain_t_pools"])).delete()

    assert states == {"dango_t_pools": "running", "plain_t_pools": "running"}
    pool = Pool.get_pool(POOL)
    assert pool is not None and pool.slots == 1, "the dango run's tasks would wait forever on a missing pool"
    assert Pool.get_pool(PLAIN_POOL) is None  # not a dango DAG: not dango's to create
    assert lines.messages == [
        f"dango: DAG dango_t_pools uses the Airflow pool '{POOL}', which did not exist: created it with 1 slot "
        "(DuckDB allows one writer at a time); its tasks would otherwise wait forever"
    ]
    Pool.delete_pool(POOL)
