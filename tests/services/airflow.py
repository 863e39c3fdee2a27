"""A real Airflow on 127.0.0.1 (scheduler, dag-processor, triggerer, api-server) for tests and benchmarks.

Each component is its own process, as in a deployment; they share a temporary AIRFLOW_HOME and stop when the context
ends. The metadata database is SQLite (LocalExecutor) unless `metadata_url` names a PostgreSQL one; with `celery`,
the CeleryExecutor hands tasks to `airflow celery worker` processes through the given broker. Tasks talk to the
api-server's execution API, so it always runs. State is read straight from the metadata database: the `airflow` CLI
would cost seconds per call.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKER_HOSTNAME_ENV = "DANGO_TEST_WORKER_HOSTNAME"
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
_ARGS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
    "api-server": ["api-server", "--host", "127.0.0.1"],
}


@dataclass(frozen=True)
class CeleryWorker:
    """One `airflow celery worker`: its name is the Celery node name and the hostname its tasks report, as if each
    worker ran on a machine of its own (on one machine they would all report the same FQDN)."""

    name: str
    queues: tuple[str, ...] = ("default",)
    concurrency: int = 1


@dataclass(frozen=True)
class Celery:
    """The CeleryExecutor's setup: a broker (Redis), a result backend (`db+postgresql://...`) and the workers."""

    broker_url: str
    result_backend: str
    workers: tuple[CeleryWorker, ...]


def worker_hostname() -> str:
    """`[core] hostname_callable` in the test workers: the worker's own name (see CeleryWorker)."""
    return os.environ[WORKER_HOSTNAME_ENV]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_env(home: Path, dags_folder: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every component (and every task it starts) shares."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "1",
        # The api-server answers its first execution-API call only once it has loaded everything (41 s seen on a
        # shared 2-core machine): a task starting then must wait for it rather than fail on the 5 s default.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "120",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    })
    env.update(extra or {})
    return env


@dataclass
class RunningAirflow:
    home: Path
    env: dict[str, str]
    port: int
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    metadata_url: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`airflow <args>`; on failure (with `check`) raises with the command's last output lines."""
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, capture_output=True, text=True)
        if check and done.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows from the metadata database; `?` placeholders on SQLite and PostgreSQL alike."""
        if self.metadata_url is None:
            con = sqlite3.connect(self.home / "airflow.db", timeout=30)
            try:
                return con.execute(sql, params).fetchall()
            finally:
                con.close()
        import psycopg2

        pg = psycopg2.connect(self.metadata_url.replace("postgresql+psycopg2://", "postgresql://", 1))
        try:
            with pg.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                return cur.fetchall()
        finally:
            pg.close()

    def log_tail(self, component: str, chars: int = 4000) -> str:
        path = self.home / f"{component}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the dag-processor has stored the DAG (or its import error, which is raised)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.query("select 1 from dag where dag_id = ? and not is_stale", (dag_id,)):
                return
            errors = self.query("select filename, stacktrace from import_error")
            if errors:
                raise RuntimeError(f"DAG import errors: {errors}")
            time.sleep(1)
        raise TimeoutError(f"DAG {dag_id} not parsed within {timeout:.0f} s:\n{self.log_tail('dag-processor')}")

    def scheduled_run(self, dag_id: str, timeout: float = 300) -> str:
        """Unpause the DAG and return the id of the run the scheduler creates for the latest cron time (a schedule's
        `catchup: latest`, and what Airflow 3's CronTriggerTimetable does without catchup)."""
        self.cli("dags", "unpause", dag_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            rows = self.query("select run_id from dag_run where dag_id = ? and run_type = 'scheduled'", (dag_id,))
            if rows:
                return rows[0][0]
            time.sleep(1)
        raise TimeoutError(f"no scheduled run of {dag_id} after {timeout:.0f} s:\n{self.log_tail('scheduler')}")

    def trigger(self, dag_id: str) -> str:
        """Unpause and trigger a run; returns its run id."""
        self.cli("dags", "unpause", dag_id)
        run_id = f"manual__test_{secrets.token_hex(4)}"
        self.cli("dags", "trigger", dag_id, "--run-id", run_id)
        return run_id

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        """Until the run ends; returns its state. Raises with the task states if it does not end in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            rows = self.query("select state from dag_run where dag_id = ? and run_id = ?", (dag_id, run_id))
            if rows and rows[0][0] in ("success", "failed"):
                return rows[0][0]
            time.sleep(1)
        states = self.task_states(dag_id, run_id)
        raise TimeoutError(f"run {run_id} of {dag_id} still going after {timeout:.0f} s: {states}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        rows = self.query("select task_id, state from task_instance where dag_id = ? and run_id = ?", (dag_id, run_id))
        return {task: state for task, state in rows}


def _metadata_env(metadata_url: str | None, celery: Celery | None) -> dict[str, str]:
    env: dict[str, str] = {}
    if metadata_url:
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata_url
    if celery:
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": celery.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": celery.result_backend,
            # A worker takes a task only when it has a free slot, so a busy worker leaves the next one to the others.
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        })
    return env


def _worker_env(env: dict[str, str], worker: CeleryWorker) -> dict[str, str]:
    """The worker's environment: the shared one, plus the hostname its tasks report (importable from this repo)."""
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return {
        **env,
        WORKER_HOSTNAME_ENV: worker.name,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
        "PYTHONPATH": path,
    }


@contextmanager
def running_airflow(
    home: Path,
    dags_folder: Path,
    extra_env: dict[str, str] | None = None,
    components: tuple[str, ...] = COMPONENTS,
    *,
    metadata_url: str | None = None,
    celery: Celery | None = None,
) -> Iterator[RunningAirflow]:
    """Migrate the metadata database, start the components (and Celery workers), yield, then stop them all.

    `metadata_url` is a SQLAlchemy URL (`postgresql+psycopg2://...`); without it, SQLite under `home`.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = airflow_env(home, dags_folder, port, {**_metadata_env(metadata_url, celery), **(extra_env or {})})
    airflow = RunningAirflow(home, env, port, metadata_url=metadata_url)
    airflow.cli("db", "migrate")
    try:
        for name in components:
            airflow.procs[name] = _start(home / f"{name}.log", _ARGS[name], env)
        for worker in celery.workers if celery else ():
            args = ["celery", "worker", "--celery-hostname", f"{worker.name}@%h", "--queues", ",".join(worker.queues),
                    "--concurrency", str(worker.concurrency), "--skip-serve-logs", "--without-gossip",
                    "--without-mingle"]
            airflow.procs[f"celery-{worker.name}"] = _start(home / f"celery-{worker.name}.log", args,
                                                            _worker_env(env, worker))
        if "api-server" in components:
            _wait_for_port(port, airflow)
        yield airflow
    finally:
        for proc in airflow.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in airflow.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _start(log_path: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """One `airflow ...` process in its own process group (stopped with its children), output to `log_path`."""
    log = open(log_path, "w")  # noqa: SIM115 - the child holds it; closed when this process exits
    try:
        return subprocess.Popen([sys.executable, "-m", "airflow", *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def _wait_for_port(port: int, airflow: RunningAirflow, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.check_alive()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"api-server not listening on {port} after {timeout:.0f} s:\n{airflow.log_tail('api-server')}")
