"""A throw-away PostgreSQL cluster on 127.0.0.1 for tests and benchmarks.

Set `DANGO_TEST_PG_DSN` to use a server you already run; otherwise a cluster is created under a temporary folder
(initdb + pg_ctl, as the `postgres` user when running as root, since initdb refuses root) and stopped afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DSN_ENV = "DANGO_TEST_PG_DSN"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine (`.ci/run` installs them from Debian's packages)."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.dbname}"

    def env(self) -> dict[str, str]:
        """The variables the test profiles read (`profiles.yml` uses env_var for each)."""
        return {
            "DANGO_PG_HOST": self.host,
            "DANGO_PG_PORT": str(self.port),
            "DANGO_PG_USER": self.user,
            "DANGO_PG_PASSWORD": self.password,
            "DANGO_PG_DBNAME": self.dbname,
        }


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder, or PostgresUnavailable."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable("no PostgreSQL server binaries (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _server_from_dsn(dsn: str) -> PostgresServer:
    from urllib.parse import unquote, urlparse

    url = urlparse(dsn)
    return PostgresServer(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or ""),
        dbname=(url.path or "/postgres").lstrip("/") or "postgres",
    )


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Yield a running server: the one named by DANGO_TEST_PG_DSN, or a new cluster that is removed afterwards."""
    if os.environ.get(DSN_ENV):
        yield _server_from_dsn(os.environ[DSN_ENV])
        return
    bindir = pg_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="dango-pg-"))
    data = root / "data"
    port = _free_port()
    password = "dango-test"
    pwfile = root / "pw"
    pwfile.write_text(password, encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    subprocess.run(
        _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "dango", "--pwfile", str(pwfile),
                   "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"]),
        check=True, capture_output=True,
    )
    opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
        check=True, capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield PostgresServer("127.0.0.1", port, "dango", password, "postgres")
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: PostgresServer, name: str) -> PostgresServer:
    """A fresh, empty database on the server (dropped first if it exists), so a test starts clean."""
    import psycopg2
    from psycopg2 import sql

    con = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                           dbname=server.dbname)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    finally:
        con.close()
    return PostgresServer(server.host, server.port, server.user, server.password, name)


def postgres_output(name: str, schema: str, threads: int = 1) -> str:
    """One dbt output (target) of type postgres, indented for a profile's `outputs:`, reading the server from the
    DANGO_PG_* variables that `PostgresServer.env()` sets (env_var: no secret is written to a file)."""
    return (
        f"    {name}:\n"
        "      type: postgres\n"
        "      host: \"{{ env_var('DANGO_PG_HOST') }}\"\n"
        "      port: \"{{ env_var('DANGO_PG_PORT') | as_number }}\"\n"
        "      user: \"{{ env_var('DANGO_PG_USER') }}\"\n"
        "      password: \"{{ env_var('DANGO_PG_PASSWORD') }}\"\n"
        "      dbname: \"{{ env_var('DANGO_PG_DBNAME') }}\"\n"
        f"      schema: {schema}\n"
        f"      threads: {threads}\n"
    )


def postgres_profile(profile: str, target: str = "pg", schema: str = "analytics", threads: int = 1) -> str:
    """A whole profiles.yml whose only target is the test server (see `postgres_output`)."""
    return f"{profile}:\n  target: {target}\n  outputs:\n{postgres_output(target, schema, threads)}"


def point_project_at(root: Path, server: PostgresServer, profile: str = "shop") -> dict[str, str]:
    """Make a dango project's warehouse this PostgreSQL database: its dbt profile becomes a postgres target (secrets
    through env_var), and `platform.duckdb_path` is dropped. Returns the environment the profile reads."""
    (root / "dbt" / "profiles.yml").write_text(postgres_profile(profile, threads=2), encoding="utf-8")
    project_yml = root / ".dango" / "project.yml"
    if project_yml.exists():
        lines = project_yml.read_text(encoding="utf-8").splitlines()
        project_yml.write_text("\n".join(ln for ln in lines if "duckdb_path" not in ln) + "\n", encoding="utf-8")
    return server.env()


def demo_on_postgres(root: Path, server: PostgresServer, monkeypatch: Any, airflow_home: Path) -> Any:
    """The demo project in `root` with its warehouse in `server`, as a DAG test needs it: profile and environment
    set, manifest built, the DAG file in `airflow_home`'s DAGs folder and `$DANGO_PROJECT_DIR` naming the project.
    Returns the loaded project."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.warehouse import for_project

    for key, value in point_project_at(root, server).items():
        monkeypatch.setenv(key, value)
    project = load_project(root)
    assert for_project(project).kind == "postgres"
    build_manifest(project)
    shutil.copy(Path(__file__).resolve().parents[2] / "dags" / "dango_dags.py", airflow_home / "dags" / "dango_dags.py")
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(root))
    return project
