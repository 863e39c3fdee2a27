"""The profile step in generated DAGs, its scope, and `dango profile` by hand."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_dango.cli import main
from airflow_provider_dango.config import load_project
from airflow_provider_dango.dbt import load_manifest
from airflow_provider_dango.profile import scope_relations
from airflow_provider_dango.warehouse import connect


def test_sync_dag_profiles_after_dbt_and_the_pii_scan(built_shop: Path) -> None:
    from airflow_provider_dango.dag_factory import build_dags

    dag = build_dags(built_shop)["dango_shop_daily"]
    task = dag.get_task("profile")
    upstream = task.get_flat_relative_ids(upstream=True)
    assert {"sync_shop", "pii_scan"} <= upstream
    assert any(t.startswith("dbt.") for t in upstream)
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
    with connect(load_project(catalog_shop).warehouse_path, read_only=True) as con:
        rows = con.execute(
            "SELECT count(*) FROM dango.dango_column_profiles WHERE table_name = 'marts.daily_revenue'"
        ).fetchone()[0]
    assert rows >= 8  # the fixture's run and this one
