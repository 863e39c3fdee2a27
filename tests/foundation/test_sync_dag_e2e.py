"""The demo's sync DAG end to end in real Airflow (`dag.test()`): dlt loads the shop, one `dbt build` task builds and
tests every model (the demo's `dbt_tasks: single`) and records each model's and test's outcome."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from airflow_provider_dango.warehouse import for_project
from tests.conftest import REPO


def test_demo_sync_dag_end_to_end(shop_project: Path, airflow_db: Path) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.dbt import build_manifest

    project = load_project(shop_project)
    build_manifest(project)
    # dag.test() serialises DAGs from the DAGs folder: point it at this project.
    shutil.copy(REPO / "dags" / "dango_dags.py", airflow_db / "dags" / "dango_dags.py")
    os.environ["DANGO_PROJECT_DIR"] = str(shop_project)
    try:
        dag = build_dags(shop_project)["dango_shop_daily"]
        dag_run = dag.test()
    finally:
        os.environ.pop("DANGO_PROJECT_DIR", None)
    assert str(dag_run.state) == "success"

    con = duckdb.connect(str(for_project(project).path))
    try:
        loads = dict(
            con.execute(
                "SELECT table_name, rows_loaded FROM dango.load_stats WHERE run_id = ?", [dag_run.run_id]
            ).fetchall()
        )
        assert loads["customers"] == 500
        raw_orders = con.execute("SELECT count(*) FROM raw_shop.orders").fetchone()[0]
        assert loads["orders"] == raw_orders > 3000
        assert con.execute("SELECT count(*) FROM marts.dim_customers").fetchone()[0] == 500
        marts = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()}
        assert marts == {"fct_orders", "dim_customers", "daily_revenue"}
        # The profile task (after dbt and pii_scan) profiled the synced tables and the models built from them,
        # under the Airflow run id.
        profiled = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_name FROM dango.dango_column_profiles WHERE run_id = ?", [dag_run.run_id]
            ).fetchall()
        }
        assert {"raw_shop.customers", "raw_shop.orders", "marts.fct_orders", "marts.daily_revenue"} <= profiled
    finally:
        con.close()

    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        states = {
            ti.task_id: str(ti.state)
            for ti in session.query(TaskInstance).filter(
                TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == dag_run.run_id
            )
        }
    assert states["dbt_build"] == "success"
    # Per-model outcomes of the one dbt build: in its XCom and in the audit trail.
    from airflow.models.xcom import XComModel

    with create_session() as session:
        row = session.query(XComModel).filter(
            XComModel.dag_id == dag.dag_id, XComModel.run_id == dag_run.run_id,
            XComModel.task_id == "dbt_build", XComModel.key == "return_value",
        ).one()
        results = XComModel.deserialize_value(row)["results"]
    models = {uid.split(".")[-1]: s for uid, s in results.items() if uid.startswith("model.")}
    assert models == dict.fromkeys(["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"],
                                   "success")
    tests = [s for uid, s in results.items() if uid.startswith("test.")]
    assert len(tests) >= 10 and set(tests) == {"pass"}
    con = duckdb.connect(str(for_project(project).path), read_only=True)
    try:
        audited = con.execute(
            "SELECT count(*) FROM dango.dango_audit_dbt_results WHERE run_id = ? AND task_id = 'dbt_build' "
            "AND resource_type = 'model' AND status = 'success'", [dag_run.run_id]
        ).fetchone()[0]
    finally:
        con.close()
    assert audited == 5
    assert states["sync_shop"] == "success"
    assert states["profile"] == "success"
