"""The profile step in generated DAGs, its scope, and `dango profile` by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_dango.cli import main
from airflow_provider_dango.config import load_project
from airflow_provider_dango.dbt import load_manifest
from airflow_provider_dango.profile import scope_relations
from airflow_provider_dango.warehouse import for_project


@pytest.mark.parametrize("layout", ["built_shop", "built_shop_per_model"])
def test_sync_dag_profiles_after_dbt_and_the_pii_scan(layout: str, request: pytest.FixtureRequest) -> None:
    """After the demo's one `dbt_build` task, or after every Cosmos model task with `dbt_tasks: per_model`."""
    from airflow_provider_dango.dag_factory import build_dags

    dag = build_dags(request.getfixturevalue(layout))["dango_shop_daily"]
    task = dag.get_task("profile")
    upstream = task.get_flat_relative_ids(upstream=True)
    assert {"sync_shop", "pii_scan"} <= upstream
    if layout == "built_shop":
        assert "dbt_build" in upstream and not [t for t in upstream if t.startswith("dbt.")]
    else:
        assert "dbt.fct_orders.run" in upstream and "dbt_build" not in upstream
    assert task.sources == ["shop"] and task.models is True


def test_scope_is_the_synced_tables_and_the_models_built_from_them(built_shop: Path) -> None:
    manifest = load_manifest(load_project(built_shop))
    scope = scope_relations(manifest, sources=["shop"])
    assert {"raw_shop.customers", "raw_shop.orders", "marts.fct_orders", "marts.daily_revenue"} <= set(scope)
    assert not [r for r in scope if "vw_" in r]  # dango's audit views do not read the shop source
    assert scope_relations(manifest, sources=["shop"], downstream=False) == ["raw_shop.customers", "raw_shop.orders"]


def test_dango_profile_by_hand(catalog_shop: Path, capsys) -> None:
    assert main(["profile", "--project-dir", str(catalog_shop), "--table", "marts.daily_revenue"]) == 0
    out = capsys.readouterr().out
    assert "profiled 1 table(s), 4 column(s)" in out
    with for_project(load_project(catalog_shop)).connect(read_only=True) as con:
        rows = con.execute(
            "SELECT count(*) FROM dango.dango_column_profiles WHERE table_name = 'marts.daily_revenue'"
        ).fetchone()[0]
    assert rows >= 8  # the fixture's run and this one


def test_profile_step_follows_the_pillar_contract(catalog_shop: Path) -> None:
    """`run_step` with a source scope profiles that source's tables under the given run id, like the DAG task."""
    from airflow_provider_dango.profile import run_step
    from airflow_provider_dango.steps import Scope

    project = load_project(catalog_shop)
    result = run_step(project, Scope(sources=["shop"], options={"models": False}, alerts=False), run_id="r-contract")
    assert result.as_dict()["run_id"] == "r-contract"
    assert result.relations == ["raw_shop.customers", "raw_shop.orders"]
    assert "profiled 2 table(s)" in result.summary()
    assert result.events() == [] and result.audit_rows() == []
    with for_project(project).connect(read_only=True) as con:
        tables = con.execute(
            "SELECT DISTINCT table_name FROM dango.dango_column_profiles WHERE run_id = 'r-contract' ORDER BY 1"
        ).fetchall()
    assert [t[0] for t in tables] == ["raw_shop.customers", "raw_shop.orders"]
