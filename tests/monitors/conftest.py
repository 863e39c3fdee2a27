"""A small dango project for monitor tests: synthetic tables written with DuckDB, a dbt project that uses the
dango_monitors package, and a fixed `as_of`, so every expected verdict is known in advance."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

AS_OF = "2026-11-21 06:00:00"  # judges 2026-11-20 (a Friday), the latest complete day
TEST_DAY = dt.date(2026, 11, 20)
DAYS = 90

PROJECT_YML = """project: {name: mini}
platform: {duckdb_path: ./data/warehouse.duckdb, dbt_project_dir: ./dbt}
"""
SOURCES_YML = """version: "1.0"
sources:
  - name: mini
    function: mini_pipelines.mini:mini
"""
DBT_PROJECT = """name: mini
version: "1.0.0"
config-version: 2
profile: mini
model-paths: ["models"]
"""
PROFILES = """mini:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DANGO_WAREHOUSE') }}"
      threads: 1
"""


def orders_rows(seed: int = 7, drop_eur: float = 0.0, days: int = DAYS) -> list[tuple]:
    """Daily orders with weekly seasonality (weekends x1.3); on TEST_DAY a share `drop_eur` of EUR orders vanish."""
    rng = random.Random(seed)
    rows = []
    oid = 0
    for back in range(days, 0, -1):
        day = TEST_DAY - dt.timedelta(days=back - 1)
        n = int(rng.gauss(60 * (1.3 if day.weekday() >= 5 else 1.0), 3))
        for _ in range(n):
            currency = rng.choice(["EUR", "EUR", "EUR", "GBP", "USD"])
            if day == TEST_DAY and currency == "EUR" and rng.random() < drop_eur:
                continue
            oid += 1
            # Stored as timestamptz: 23:30 in Berlin (UTC+1) belongs to the UTC day before midnight.
            ts = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), dt.timezone.utc)
            rows.append((oid, currency, round(rng.uniform(20, 60), 2), ts))
    return rows


def write_table(warehouse: Path, schema: str, name: str, rows: list[tuple], ddl: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{name} ({ddl})")
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            con.executemany(f"INSERT INTO {schema}.{name} VALUES ({marks})", rows)


def make_project(root: Path) -> Path:
    (root / ".dango").mkdir(parents=True)
    (root / ".dango" / "project.yml").write_text(PROJECT_YML)
    (root / ".dango" / "sources.yml").write_text(SOURCES_YML)
    (root / "mini_pipelines").mkdir()
    (root / "mini_pipelines" / "__init__.py").write_text("")
    (root / "mini_pipelines" / "mini.py").write_text("def mini():\n    return []\n")
    dbt = root / "dbt"
    (dbt / "models").mkdir(parents=True)
    (dbt / "dbt_project.yml").write_text(DBT_PROJECT)
    (dbt / "profiles.yml").write_text(PROFILES)
    (dbt / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
    (root / "data").mkdir()
    warehouse = root / "data" / "warehouse.duckdb"
    write_table(warehouse, "raw_mini", "orders", orders_rows(drop_eur=0.8),
                "id INTEGER, currency VARCHAR, amount DOUBLE, created_at TIMESTAMPTZ")
    write_table(warehouse, "raw_mini", "steady", orders_rows(seed=11),
                "id INTEGER, currency VARCHAR, amount DOUBLE, created_at TIMESTAMPTZ")
    write_table(warehouse, "raw_mini", "empty", [], "id INTEGER, created_at TIMESTAMP")
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import run_dbt

    run_dbt(load_project(root), ["deps", "--quiet"])
    return root


@pytest.fixture(scope="session")
def mini_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("mini_template") / "mini")


@pytest.fixture
def mini(mini_template: Path, tmp_path: Path) -> Path:
    """A private copy of the mini project (its warehouse included) that a test may change."""
    dest = tmp_path / "mini"
    shutil.copytree(mini_template, dest)
    packages = dest / "dbt" / "dbt_packages"
    if packages.is_symlink() or packages.exists():
        pass
    return dest


def write_monitors(root: Path, text: str) -> None:
    (root / ".dango" / "monitors.yml").write_text(text)
