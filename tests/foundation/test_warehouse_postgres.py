"""The PostgreSQL backend of the warehouse layer, against a real server: the dbt postgres target's credentials (read by
dbt's own profile loading, secrets from env_var), `?` parameters, quoting, table_exists, the registry's DDL, and the
audit store writing through it. The full PostgreSQL port of every pillar is a later issue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.postgres import postgres_profile


@pytest.fixture
def pg_project(tmp_path: Path, postgres_db, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in postgres_db.env().items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "pg"
    (root / ".dango").mkdir(parents=True)
    (root / "dbt").mkdir()
    (root / ".dango" / "project.yml").write_text("project:\n  name: pg\n")
    (root / "dbt" / "dbt_project.yml").write_text("name: pg_project\nversion: '1'\nconfig-version: 2\n")
    (root / "dbt" / "profiles.yml").write_text(postgres_profile("pg_project", target="ci"))
    return root


def test_postgres_target_reaches_the_server(pg_project: Path, postgres_db) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import META_SCHEMA, for_project, qualified, quote_ident

    project = load_project(pg_project)
    wh = for_project(project)
    assert wh.kind == "postgres" and wh.path is None and not wh.serialise_writers
    assert wh.target.credentials["password"] == postgres_db.password  # rendered from env_var by dbt
    assert postgres_db.password not in wh.target.describe()

    assert not wh.table_exists(META_SCHEMA, "load_stats")
    with wh.connect() as con:
        wh.ensure_table("load_stats", con)
        con.execute(
            f"INSERT INTO {qualified('load_stats')} (run_id, source, table_name, rows_loaded, load_ids) "
            "VALUES (?, ?, ?, ?, ?)",
            ["r1", "shop", "orders", 42, ["1.2", "1.3"]],
        )
        odd = 'we"ird ta?ble'
        con.execute(f"CREATE TABLE {quote_ident(odd)} (v text)")
        con.execute(f"INSERT INTO {quote_ident(odd)} VALUES (?)", ["50% off? yes"])
    assert wh.table_exists(META_SCHEMA, "load_stats")
    assert wh.rows(f"SELECT rows_loaded, load_ids FROM {qualified('load_stats')} WHERE run_id = ?", ["r1"]) == [
        (42, ["1.2", "1.3"])
    ]
    assert wh.rows(f"SELECT v FROM {quote_ident(odd)} WHERE v LIKE '50%'") == [("50% off? yes",)]
    types = dict(
        wh.rows(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [META_SCHEMA, "load_stats"],
        )
    )
    assert types["loaded_at"] == "timestamp with time zone" and types["duration_seconds"] == "double precision"


def test_audit_rows_land_in_postgres(pg_project: Path) -> None:
    from airflow_provider_dango.audit import flush, record_check_result
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import for_project, qualified

    project = load_project(pg_project)
    assert record_check_result(project, "run-1", "drift", "raw_shop", "pass", "info", {"changes": 0}, flush_now=False)
    assert record_check_result(project, "run-1", "drift", "raw_shop", "warn", "warn", {"changes": 1}, flush_now=False)
    # Spooled in the warehouse itself (another worker can flush them), not in a file on this machine.
    wh = for_project(project)
    assert wh.rows(f"SELECT count(*) FROM {qualified('dango_spool_audit')}") == [(2,)]
    assert not list(pg_project.rglob("*.sqlite"))
    result = flush(project, wait_s=5)
    assert result.error is None and result.delivered == 2 and result.pending == 0
    assert wh.rows(f"SELECT count(*) FROM {qualified('dango_spool_audit')}") == [(0,)]
    rows = wh.rows(
        f"SELECT status, severity FROM {qualified('dango_audit_check_results')} WHERE run_id = ?", ["run-1"]
    )
    assert rows == [("warn", "warn")]  # one row per key: the later verdict replaced the first


def dango_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "airflow_provider_dango.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_unreachable_server_and_wrong_password_are_one_line_naming_the_target(pg_project: Path, postgres_db) -> None:
    """`dango validate` against a closed port and with a wrong password: one line each naming user, host, port and
    database, never the password, and no traceback."""
    from tests.services.postgres import _free_port

    closed = dango_cli("validate", "--project-dir", str(pg_project), env={"DANGO_PG_PORT": str(_free_port())})
    wrong = dango_cli("validate", "--project-dir", str(pg_project), env={"DANGO_PG_PASSWORD": "not-the-s3cret"})
    for result, port, secret in ((closed, None, postgres_db.password), (wrong, postgres_db.port, "not-the-s3cret")):
        assert result.returncode == 1, result.stdout + result.stderr
        lines = [line for line in result.stderr.splitlines() if "warehouse" in line]
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        line = lines[0]
        assert f"{postgres_db.user}@{postgres_db.host}:" in line and f"/{postgres_db.dbname}" in line, line
        if port:
            assert f":{port}/" in line and "password authentication failed" in line, line
        assert secret not in result.stdout + result.stderr


def test_validate_reports_a_server_older_than_supported(
    pg_project: Path, postgres_db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The minimum is checked against the server's own version number: with the bar above this server's version,
    `dango validate` fails in one line saying which version it found."""
    from airflow_provider_dango.cli import main
    from airflow_provider_dango.warehouse import postgres as postgres_backend

    assert main(["validate", "--project-dir", str(pg_project)]) == 0  # PostgreSQL 15 >= 14
    monkeypatch.setattr(postgres_backend, "MIN_SERVER_VERSION", 990000)
    assert main(["validate", "--project-dir", str(pg_project)]) == 1
    err = capsys.readouterr().err
    assert "runs PostgreSQL 1" in err and "dango needs PostgreSQL 99 or newer" in err, err
