"""Projects that are not the demo shape: a sync schedule whose source feeds no dbt model, a project with no synced
sources (nothing in dango.load_stats)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_project
from tests.drift.conftest import CRM_SOURCE

SOURCES_YML = """version: "1.0"
sources:
  - name: shop
    function: pipelines.shop_source:shop
    args: {customers: 40, days: 5}
  - name: crm
    function: crm_pipeline:crm
"""

SCHEDULES_YML = """schedules:
  - name: nightly
    type: sync
    cron: daily
    sources: [shop, crm]
"""


def test_validate_warns_about_a_synced_source_with_nothing_downstream(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from airflow_provider_dango.cli import main
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest

    root = copy_project(tmp_path / "shop")
    (root / "crm_pipeline.py").write_text(CRM_SOURCE, encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text(SOURCES_YML, encoding="utf-8")
    (root / ".dango" / "schedules.yml").write_text(SCHEDULES_YML, encoding="utf-8")
    build_manifest(load_project(root))
    assert main(["validate", "--project-dir", str(root)]) == 0  # a warning, not an error
    out = " ".join(capsys.readouterr().out.split())
    assert (
        ".dango/schedules.yml:2: warning: schedule 'nightly': source 'crm' has no dbt models downstream "
        "(no model selects from a dbt source on schema raw_crm)"
    ) in out
    assert "source 'shop'" not in out  # the shop's staging and marts models read raw_shop


def test_rows_loaded_without_any_sync(tmp_path: Path) -> None:
    """A `type: dbt` schedule or a project with no synced sources has no dango.load_stats: the demo's summary says
    nothing was loaded (it crashed with `Table with name load_stats does not exist`)."""
    from airflow_provider_dango.demo.runner import rows_loaded
    from airflow_provider_dango.warehouse import Warehouse

    warehouse = Warehouse.from_duckdb_file(tmp_path / "w.duckdb")
    with warehouse.connect() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        assert rows_loaded(warehouse, con, "run-1") == []
