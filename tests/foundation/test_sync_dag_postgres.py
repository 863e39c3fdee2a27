"""The demo's sync DAG end to end with its warehouse in PostgreSQL (`dag.test()`): dlt loads the shop through dlt's
postgres destination, then the drift gate, dbt, the PII scan, monitors and profiles all run against the same database,
the audit rows land there, and no DuckDB file is created anywhere in the project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from airflow_provider_dango.demo.runner import task_states
from tests.conftest import REPO, set_dbt_tasks
from tests.services.postgres import demo_on_postgres, point_project_at


def test_demo_sync_dag_on_postgres(
    shop_project: Path, airflow_db: Path, postgres_db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.warehouse import for_project

    project = demo_on_postgres(shop_project, postgres_db, monkeypatch, airflow_db)
    wh = for_project(project)
    dag = build_dags(shop_project)["dango_shop_daily"]
    assert all(t.pool != project.settings.airflow.pool for t in dag.tasks)  # no one-slot pool on a server
    from airflow_provider_dango.hooks.pools import pool_names

    assert pool_names() == set()  # and the scheduler creates none for this project
    dag_run = dag.test()

    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert all(s == "success" for s in states.values()), states

    run_id = dag_run.run_id
    loads = dict(wh.rows("SELECT table_name, rows_loaded FROM dango.load_stats WHERE run_id = ?", [run_id]))
    assert loads["customers"] == 500
    assert loads["orders"] == wh.rows("SELECT count(*) FROM raw_shop.orders")[0][0] > 3000
    assert wh.rows("SELECT count(*) FROM marts.dim_customers")[0][0] == 500
    # The drift gate recorded the new source's baseline; PII found the customers' emails; monitors judged.
    assert wh.rows("SELECT count(*) FROM dango.dango_schema_baselines")[0][0] > 0
    pii = {(t, c) for t, c in wh.rows("SELECT table_name, column_name FROM dango.dango_pii_findings WHERE run_id = ?",
                                       [run_id])}
    assert any(c == "email" for _, c in pii), pii
    monitors = {r[0] for r in wh.rows("SELECT monitor FROM dango.dango_monitor_results WHERE run_id = ?",
                                      [run_id])}
    assert {"daily_revenue", "daily_orders", "orders_loaded"} <= monitors
    profiled = {r[0] for r in wh.rows(
        "SELECT DISTINCT table_name FROM dango.dango_column_profiles WHERE run_id = ?", [run_id])}
    assert {"raw_shop.customers", "marts.fct_orders"} <= profiled
    # The audit trail: the check results of this run, in PostgreSQL.
    checks = {r[0].split(":")[0] for r in wh.rows(
        "SELECT check_name FROM dango.dango_audit_check_results WHERE run_id = ?", [run_id])}
    assert {"drift", "pii", "monitor"} <= checks, checks

    # The alert outbox is in PostgreSQL too: the DAG's success callback recorded sync_completed with dlt's row counts.
    [(body,)] = wh.rows("SELECT body FROM dango.dango_alert_events WHERE type = 'sync_completed'")
    assert json.loads(body)["rows_loaded"]["shop.customers"] == 500
    assert not list(shop_project.rglob("*.sqlite"))  # no outbox or audit spool on this machine
    # `dango monitors suggest` writes monitors in PostgreSQL's dialect: each suggested expression runs there.
    from airflow_provider_dango.demo.runner import summarize
    from airflow_provider_dango.monitors.suggest import suggest_monitors

    suggested = {m["name"]: m for m in suggest_monitors(project)}
    for name in ("shop_orders_row_count", "shop_orders_freshness_hours", "shop_customers_freshness_hours"):
        table = suggested[name]["source_table"]
        [(value,)] = wh.rows(f"SELECT {suggested[name]['value_expression']} FROM {table}")
        assert value is not None and float(value) >= 0, (name, value)
    # The demo's summary lists the models built in PostgreSQL and how to query them (no password).
    logged = capsys.readouterr()
    assert postgres_db.password not in logged.out + logged.err  # dlt, dbt and every task kept the password out
    summarize(project, dag_run)
    out = capsys.readouterr().out
    assert "marts.daily_revenue" in out and "psql" in out and postgres_db.password not in out
    assert "pg_catalog" not in out

    duckdb_files = [p for p in shop_project.rglob("*") if ".duckdb" in p.name]  # the file, its WAL, its lock
    assert duckdb_files == []


def _use_airflow_connection(root: Path, conn_id: str, schema: str | None) -> None:
    """An Airflow user's setup: the warehouse is an Airflow connection; profiles.yml stays dango's DuckDB scaffold."""
    project_yml = root / ".dango" / "project.yml"
    lines = [ln for ln in project_yml.read_text(encoding="utf-8").splitlines()
             if "duckdb_path" not in ln and "warehouse_" not in ln]
    text = "\n".join(lines) + f"\n  warehouse_conn_id: {conn_id}\n"
    if schema:
        text += f"  warehouse_schema: {schema}\n"
    project_yml.write_text(text, encoding="utf-8")


def test_demo_sync_dag_on_a_postgres_airflow_connection(
    shop_project: Path, airflow_db: Path, postgres_db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`airflow.warehouse_conn_id` naming a Postgres connection (given as AIRFLOW_CONN_*): Cosmos's mapping makes the
    connection's `schema` field dbt's dbname, so the dbt schema comes from `airflow.warehouse_schema`; dlt, dbt and
    every check then use that one database. Without the key (and no PostgreSQL dbt target) building the DAG fails
    with one line naming it."""
    from urllib.parse import quote

    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags, build_schedule_dag
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
    from airflow_provider_dango.warehouse import WarehouseConfigError

    s = postgres_db
    monkeypatch.setenv(
        "AIRFLOW_CONN_DANGO_PG_WH", f"postgres://{quote(s.user)}:{quote(s.password)}@{s.host}:{s.port}/{s.dbname}"
    )
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(shop_project))

    _use_airflow_connection(shop_project, "dango_pg_wh", "analytics")
    build_manifest(load_project_with_warehouse(str(shop_project)))  # `dango dbt manifest`, through the connection

    _use_airflow_connection(shop_project, "dango_pg_wh", None)
    project = load_project(shop_project)

    def parse_per_model() -> None:
        schedules = shop_project / ".dango" / "schedules.yml"
        text = schedules.read_text(encoding="utf-8")
        try:
            per_model = load_project(set_dbt_tasks(shop_project, "per_model"))
            build_schedule_dag(per_model, per_model.schedules[0])
        finally:
            schedules.write_text(text, encoding="utf-8")

    for attempt in (lambda: build_schedule_dag(project, project.schedules[0]),  # DAG parsing, the one dbt task
                    parse_per_model,  # ... and Cosmos's tasks
                    lambda: load_project_with_warehouse(str(shop_project))):  # tasks and commands
        with pytest.raises(WarehouseConfigError) as missing:
            attempt()
        message = str(missing.value)
        assert "airflow.warehouse_schema" in message and "dango_pg_wh" in message and "\n" not in message
        assert s.password not in message

    _use_airflow_connection(shop_project, "dango_pg_wh", "analytics")
    shutil.copy(REPO / "dags" / "dango_dags.py", airflow_db / "dags" / "dango_dags.py")
    dag = build_dags(shop_project)["dango_shop_daily"]
    assert all(t.pool != "dango_warehouse" for t in dag.tasks)  # a server: no one-slot pool
    dag_run = dag.test()
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["dbt_build"] == "success", states  # the demo's one dbt task ran with the mapped profile

    import psycopg2

    con = psycopg2.connect(host=s.host, port=s.port, user=s.user, password=s.password, dbname=s.dbname)
    try:
        cur = con.cursor()
        cur.execute("select count(*) from marts.dim_customers")  # the demo names its schemas (generate_schema_name)
        assert cur.fetchone()[0] == 500
        cur.execute("select count(*) from dango.dango_audit_check_results where run_id = %s", [dag_run.run_id])
        assert cur.fetchone()[0] > 0
    finally:
        con.close()
    logged = capsys.readouterr()
    assert s.password not in logged.out + logged.err
    assert [p for p in shop_project.rglob("*") if ".duckdb" in p.name] == []

    # A team whose dbt credentials live only in the Airflow connection: no profiles.yml anywhere. DAG parsing needs
    # only the profile's names, and dbt runs with the connection's mapped profile.
    (shop_project / "dbt" / "profiles.yml").unlink()
    monkeypatch.setenv("HOME", str(shop_project))  # no ~/.dbt/profiles.yml either
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    assert "dbt_build" in build_dags(shop_project)["dango_shop_daily"].task_ids
    per_model = load_project(set_dbt_tasks(shop_project, "per_model"))
    assert len(build_schedule_dag(per_model, per_model.schedules[0]).task_ids) > 10  # Cosmos's tasks too
    assert build_manifest(load_project_with_warehouse(str(shop_project))).exists()  # `dango dbt manifest`


def test_warehouse_schema_defaults_to_a_postgres_dbt_targets_schema(
    shop_project: Path, postgres_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team that keeps a PostgreSQL target in profiles.yml and moves the credentials to an Airflow connection needs
    no new key: the target's `schema` is dbt's schema for the connection too."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.hooks.warehouse import connection_schema

    for key, value in point_project_at(shop_project, postgres_db).items():
        monkeypatch.setenv(key, value)
    _use_airflow_connection(shop_project, "dango_pg_wh", None)
    assert connection_schema(load_project(shop_project), "dango_pg_wh") == "analytics"
    _use_airflow_connection(shop_project, "dango_pg_wh", "reporting")
    assert connection_schema(load_project(shop_project), "dango_pg_wh") == "reporting"  # the key wins
