"""In a real DAG run (dag.test()), breaking drift on one source skips only the dbt models downstream of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airflow_provider_dango.demo.runner import task_states, xcom_value
from airflow_provider_dango.warehouse import for_project
from tests.conftest import REPO
from tests.drift.conftest import sql


def _states(dag_run) -> dict[str, str]:
    return task_states(dag_run)


def _xcom(dag_run, task_id: str):
    value = xcom_value(dag_run, task_id)
    assert value is not None, f"{task_id} returned nothing in {dag_run.run_id}: {task_states(dag_run)}"
    return value


def test_breaking_drift_skips_only_downstream_models_until_accepted(
    airflow_db: Path, two_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.drift import accept, check
    from airflow_provider_dango.sync import run_sync

    # dag.test() serialises DAGs from the DAGs folder: the DAG file loads this project, as a worker would.
    shutil.copy(REPO / "dags" / "dango_dags.py", airflow_db / "dags" / "dango_dags.py")
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(two_sources))
    project = load_project(two_sources)
    dag = build_dags(two_sources)["dango_nightly"]
    assert "schema_drift" in dag.task_ids
    drift = dag.get_task("schema_drift")
    assert drift.upstream_task_ids == {"sync_shop", "sync_crm"}
    assert {t.task_id for t in drift.downstream_list} >= {"dbt.stg_accounts_run", "dbt.stg_orders.run"}

    # First sight (a sync and a check, as the first DAG run would do): baselines stored silently.
    for source in ("shop", "crm"):
        run_sync(project, source)
    assert check(project, ["shop", "crm"]).baselined == ["raw_crm.accounts", "raw_shop.customers", "raw_shop.orders"]

    # Someone narrows a column of the shop source (the data still fits, so dlt keeps loading into it).
    sql(for_project(project).path, "ALTER TABLE raw_shop.orders ALTER COLUMN customer_id TYPE INTEGER")
    second = dag.test()
    states = _states(second)
    result = _xcom(second, "schema_drift")
    assert result["blocked_sources"] == ["shop"]
    assert result["skipped_models"] == ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]
    assert result["changes"] == [
        {
            "table": "raw_shop.orders",
            "column": "customer_id",
            "change": "type_changed",
            "severity": "breaking",
            "old_type": "BIGINT",
            "new_type": "INTEGER",
            "rename_of": None,
        }
    ]
    assert states["schema_drift"] == "success"
    assert states["dbt.stg_accounts_run"] == "success"  # crm is healthy: its model builds
    for model in result["skipped_models"]:
        assert states[f"dbt.{model}.run"] == "skipped", (model, states)
    assert sql(
        for_project(project).path,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = "
        "'raw_shop' AND table_name = 'orders' AND column_name = 'customer_id'",
    ) == [("INTEGER",)]

    # Still blocked afterwards: the baseline stays until someone accepts.
    assert check(project, ["shop"]).blocked_sources == ["shop"]

    assert accept(project, ["shop"]) == ["raw_shop.orders"]
    after = dag.test()
    states = _states(after)
    assert str(after.state) == "success", states
    assert _xcom(after, "schema_drift")["blocked_sources"] == []
    assert all(v == "success" for k, v in states.items() if k.startswith("dbt.")), states


def test_dbt_only_schedule_is_gated_by_drift_too(
    airflow_db: Path, two_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `type: dbt` DAG does not build over a breaking change that a sync DAG found and nobody accepted."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.drift import check
    from airflow_provider_dango.sync import run_sync
    from tests.drift.conftest import SCHEDULES_YML

    (two_sources / ".dango" / "schedules.yml").write_text(
        SCHEDULES_YML + "  - name: models_only\n    type: dbt\n    cron: every_hour\n    dbt_command: dbt run\n"
        "    retries: 0\n",
        encoding="utf-8",
    )
    shutil.copy(REPO / "dags" / "dango_dags.py", airflow_db / "dags" / "dango_dags.py")
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(two_sources))
    project = load_project(two_sources)
    dag = build_dags(two_sources)["dango_models_only"]
    drift = dag.get_task("schema_drift")
    assert drift.sources == ["crm", "shop"]  # the sources its models read
    assert not drift.upstream_task_ids
    orders_task = next(t for t in dag.task_ids if t.startswith("dbt.stg_orders"))
    accounts_task = next(t for t in dag.task_ids if t.startswith("dbt.stg_accounts"))
    assert {orders_task, accounts_task} <= {t.task_id for t in drift.downstream_list}

    for source in ("shop", "crm"):
        run_sync(project, source)
    check(project, ["shop", "crm"])  # baselines, as the sync DAG's first run stores them
    sql(for_project(project).path, "ALTER TABLE raw_shop.orders ALTER COLUMN customer_id TYPE INTEGER")

    run = dag.test()
    states = _states(run)
    assert _xcom(run, "schema_drift")["blocked_sources"] == ["shop"]
    assert states[accounts_task] == "success", states
    assert states[orders_task] == "skipped", states


def test_single_dbt_task_excludes_the_models_behind_breaking_drift(
    airflow_db: Path, two_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dbt_tasks: single`: one `dbt build` task; breaking drift on shop excludes shop's models from it (crm's still
    build), the node results say so, and a failing test fails the task with the test named."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.drift import check
    from airflow_provider_dango.sync import run_sync
    from tests.drift.conftest import SCHEDULES_YML

    (two_sources / ".dango" / "schedules.yml").write_text(SCHEDULES_YML + "    dbt_tasks: single\n", encoding="utf-8")
    shutil.copy(REPO / "dags" / "dango_dags.py", airflow_db / "dags" / "dango_dags.py")
    monkeypatch.setenv("DANGO_PROJECT_DIR", str(two_sources))
    project = load_project(two_sources)
    dag = build_dags(two_sources)["dango_nightly"]
    assert not [t for t in dag.task_ids if t.startswith("dbt.")]
    assert dag.get_task("dbt_build").upstream_task_ids == {"schema_drift"}

    for source in ("shop", "crm"):
        run_sync(project, source)
    check(project, ["shop", "crm"])
    sql(for_project(project).path, "ALTER TABLE raw_shop.orders ALTER COLUMN customer_id TYPE INTEGER")
    run = dag.test()
    states = _states(run)
    assert states["schema_drift"] == "success" and states["dbt_build"] == "success", states
    built = _xcom(run, "dbt_build")
    assert built["skipped_by_drift"] == ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]
    models = {uid.split(".")[-1]: status for uid, status in built["results"].items() if uid.startswith("model.")}
    assert models == {"stg_accounts": "success"}  # nothing behind the blocked source was built
    assert sql(
        for_project(project).path,
        "SELECT node_name, status FROM dango.dango_audit_dbt_results "
        f"WHERE run_id = '{run.run_id}' AND resource_type = 'model'",
    ) == [("stg_accounts", "success")]
