"""`dango validate --airflow` against the metadata database of $AIRFLOW_HOME, and the warnings plain `validate` gives
for a webhook variable that is unset where it runs."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import copy_project
from tests.foundation.test_cli_and_provider import dango

SCHEDULES = """schedules:
  - name: nightly
    type: sync_only
    cron: daily
    sources: [shop]
notifications:
  webhooks:
    - name: ops
      conn_id: dango_t_ops_conn
      secret: conn:dango_t_signing
    - name: slack
      format: slack
      url: ${DANGO_T_UNSET_SLACK_URL}
"""


def _project(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "shop")
    project_yml = root / ".dango" / "project.yml"
    project_yml.write_text(
        project_yml.read_text(encoding="utf-8").replace("pool: dango_warehouse", "pool: dango_t_validate_pool"),
        encoding="utf-8",
    )
    (root / ".dango" / "schedules.yml").write_text(SCHEDULES, encoding="utf-8")
    return root


def test_validate_warns_about_an_unset_webhook_variable(tmp_path: Path) -> None:
    root = _project(tmp_path)
    os.environ.pop("DANGO_T_UNSET_SLACK_URL", None)
    proc = dango("validate", "--project-dir", str(root))
    assert proc.returncode == 0, proc.stderr  # a warning, not an error
    assert (
        ".dango/schedules.yml:13: warning: notifications.webhooks[1].url: webhook 'slack' needs environment variable "
        "DANGO_T_UNSET_SLACK_URL, which is not set here; its alerts fail until it is (scheduler, dag-processor and "
        "workers)"
    ) in proc.stdout.splitlines()


def test_validate_airflow_names_each_missing_pool_and_connection(tmp_path: Path, airflow_db: Path) -> None:
    from airflow.models.connection import Connection
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    def forget() -> None:
        if Pool.get_pool("dango_t_validate_pool"):
            Pool.delete_pool("dango_t_validate_pool")
        with create_session() as session:
            session.query(Connection).filter_by(conn_id="dango_t_signing").delete()

    root = _project(tmp_path)
    forget()
    proc = dango("validate", "--airflow", "--project-dir", str(root))
    assert proc.returncode == 1
    home = f"AIRFLOW_HOME={os.environ['AIRFLOW_HOME']}"
    assert proc.stderr.strip().splitlines() == [
        ".dango/project.yml: airflow.pool: Airflow pool 'dango_t_validate_pool' does not exist: the scheduler creates "
        "it with 1 slot when it starts or when a dango DAG run starts, or run `airflow pools set dango_t_validate_pool "
        "1 dango` (used by nightly)",
        f".dango/schedules.yml: notifications.webhooks[0].conn_id ('ops'): Airflow connection 'dango_t_ops_conn' "
        f"does not exist in {home}",
        f".dango/schedules.yml: notifications.webhooks[0].secret ('ops'): Airflow connection 'dango_t_signing' "
        f"does not exist in {home}",
    ]
    # Without --airflow the database is not consulted: only the unset variable's warning.
    assert dango("validate", "--project-dir", str(root)).returncode == 0

    # A pool of the wrong size, and connections that exist (one as an environment variable, one in the database).
    Pool.create_or_update_pool("dango_t_validate_pool", slots=3, description="t", include_deferred=False)
    with create_session() as session:
        session.add(Connection(conn_id="dango_t_signing", conn_type="generic", password="k"))
    os.environ["AIRFLOW_CONN_DANGO_T_OPS_CONN"] = "http://127.0.0.1:9"
    try:
        proc = dango("validate", "--airflow", "--project-dir", str(root))
    finally:
        del os.environ["AIRFLOW_CONN_DANGO_T_OPS_CONN"]
        forget()
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        ".dango/project.yml: airflow.pool: Airflow pool 'dango_t_validate_pool' has 3 slots: DuckDB tasks then wait "
        "on the warehouse lock instead of the pool (safe, but they hold worker slots while waiting); use 1 "
        "(used by nightly)"
    ]


def test_validate_airflow_names_the_missing_schema_of_a_postgres_warehouse_connection(
    tmp_path: Path, airflow_db: Path
) -> None:
    """An Airflow Postgres connection's `schema` field is the database: without `airflow.warehouse_schema` (and no
    PostgreSQL dbt target) dbt has no schema, said in one line; with the key, nothing is reported. No server needed."""
    root = _project(tmp_path)
    project_yml = root / ".dango" / "project.yml"
    base = project_yml.read_text(encoding="utf-8")
    project_yml.write_text(base + "  warehouse_conn_id: dango_t_pg_wh\n", encoding="utf-8")
    os.environ["AIRFLOW_CONN_DANGO_T_PG_WH"] = "postgres://u:secret-pw@127.0.0.1:9/analytics"
    try:
        missing = dango("validate", "--airflow", "--project-dir", str(root))
        project_yml.write_text(base + "  warehouse_conn_id: dango_t_pg_wh\n  warehouse_schema: analytics\n",
                               encoding="utf-8")
        given = dango("validate", "--airflow", "--project-dir", str(root))
    finally:
        del os.environ["AIRFLOW_CONN_DANGO_T_PG_WH"]
    expected = (
        ".dango/project.yml: airflow.warehouse_schema: not set, and Airflow connection 'dango_t_pg_wh' is PostgreSQL, "
        "whose `schema` field is the database: set airflow.warehouse_schema to the dbt schema (e.g. analytics)"
    )
    assert expected in missing.stderr.splitlines(), missing.stderr
    assert "secret-pw" not in missing.stdout + missing.stderr
    assert "warehouse_schema" not in given.stderr, given.stderr
