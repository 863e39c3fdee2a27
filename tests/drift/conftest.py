"""Fixtures for the drift tests: real DuckDB files changed with ALTER TABLE, a dbt project using dango_monitors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_project

CRM_SOURCE = '''"""A second, tiny dlt source: accounts of a CRM."""

import dlt


@dlt.source(name="crm")
def crm():
    @dlt.resource(name="accounts", primary_key="id", write_disposition="replace")
    def accounts():
        yield [{"id": i, "name": f"account {i}", "tier": "gold" if i % 3 == 0 else "silver"} for i in range(1, 21)]

    return accounts
'''

SOURCES_YML = """version: "1.0"
sources:
  - name: shop
    function: pipelines.shop_source:shop
    args: {customers: 40, days: 5}
    tables: [customers, orders]
  - name: crm
    function: crm_pipeline:crm
"""

SCHEDULES_YML = """schedules:
  - name: nightly
    type: sync
    cron: daily
    sources: [shop, crm]
    retries: 0
"""

CRM_DBT_SOURCES = """version: 2
sources:
  - name: crm
    schema: raw_crm
    tables:
      - name: accounts
"""


def sql(warehouse: Path, *statements: str) -> list[tuple]:
    """Run statements on the warehouse file; returns the rows of the last one."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        rows: list[tuple] = []
        for statement in statements:
            rows = con.execute(statement).fetchall()
        return rows
    finally:
        con.close()


@pytest.fixture
def two_sources(tmp_path: Path) -> Path:
    """The shop project with a second source (crm -> raw_crm -> stg_accounts) in one schedule, manifest built."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest

    root = copy_project(tmp_path / "shop2")
    # Its own top-level module: other projects' `pipelines` packages imported earlier in the process are not involved.
    (root / "crm_pipeline.py").write_text(CRM_SOURCE, encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text(SOURCES_YML, encoding="utf-8")
    (root / ".dango" / "schedules.yml").write_text(SCHEDULES_YML, encoding="utf-8")
    (root / "dbt" / "models" / "staging" / "_crm_sources.yml").write_text(CRM_DBT_SOURCES, encoding="utf-8")
    (root / "dbt" / "models" / "staging" / "stg_accounts.sql").write_text(
        "select id as account_id, name, tier from {{ source('crm', 'accounts') }}\n", encoding="utf-8"
    )
    project = load_project(root)
    assert not project.errors, project.errors
    build_manifest(project)
    return root


BARE_DBT_PROJECT = """name: bare
version: "1.0"
config-version: 2
profile: bare
"""

BARE_PROFILES = """bare:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DANGO_WAREHOUSE') }}"
      threads: 1
"""


@pytest.fixture(scope="module")
def bare_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dango project with no sources and a dbt project that only installs dango_monitors (deps done once)."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import run_dbt
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("bare") / "project"
    (root / ".dango").mkdir(parents=True)
    (root / ".dango" / "project.yml").write_text("project:\n  name: bare\n", encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text('version: "1.0"\nsources: []\n', encoding="utf-8")
    dbt = root / "dbt"
    dbt.mkdir()
    (dbt / "dbt_project.yml").write_text(BARE_DBT_PROJECT, encoding="utf-8")
    (dbt / "profiles.yml").write_text(BARE_PROFILES, encoding="utf-8")
    (dbt / "packages.yml").write_text(
        f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n", encoding="utf-8"
    )
    run_dbt(load_project(root), ["deps", "--quiet"])
    return root


@pytest.fixture
def bare_project(bare_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the bare project (own warehouse)."""
    import shutil

    dest = tmp_path / "project"
    shutil.copytree(bare_template, dest, ignore=shutil.ignore_patterns("data", "target"))
    return dest
