"""Shared fixtures. Airflow reads AIRFLOW_HOME at import, so the environment is set before anything imports it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "shop"
AIRFLOW_HOME = REPO / ".airflow-test"

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(AIRFLOW_HOME / "dags")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
# Cosmos keeps partial-parse caches per DAG id; keep them per checkout so parallel test runs do not share them.
os.environ["AIRFLOW__COSMOS__CACHE_DIR"] = str(AIRFLOW_HOME / "cosmos")


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata database for the whole test session (about 10 s, once)."""
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    (AIRFLOW_HOME / "dags").mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return AIRFLOW_HOME


def copy_project(dest: Path, src: Path = EXAMPLE) -> Path:
    """A private copy of a project (no warehouse, no dbt build output) that a test may change freely."""
    ignore = shutil.ignore_patterns(
        "data", "target", "dbt_packages", "package-lock.yml", "logs", ".airflow", "__pycache__", "state"
    )
    # Copied as it is: packages.yml names dango_monitors through DANGO_MONITORS_PATH, so the copy needs no edit.
    shutil.copytree(src, dest, ignore=ignore)
    return dest


def set_dbt_tasks(project: Path, mode: str) -> Path:
    """Set the demo's sync schedule to `dbt_tasks: <mode>` in a project copy. The demo runs dbt as one task
    (`single`); a test about per-model tasks (Cosmos task ids, per-model retries) sets `per_model` on its own copy."""
    path = project / ".dango" / "schedules.yml"
    text = path.read_text(encoding="utf-8")
    assert "    dbt_tasks: single\n" in text, f"{path}: the demo's `dbt_tasks: single` line moved"
    path.write_text(text.replace("    dbt_tasks: single\n", f"    dbt_tasks: {mode}\n"), encoding="utf-8")
    return project


@pytest.fixture
def shop_project(tmp_path: Path) -> Path:
    """The demo shop project copied into a temporary folder, with its own warehouse."""
    return copy_project(tmp_path / "shop")


@pytest.fixture(scope="session")
def built_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with its manifest built (dbt deps + parse), shared read-only by tests that only parse DAGs."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest

    root = copy_project(tmp_path_factory.mktemp("built") / "shop")
    build_manifest(load_project(root))
    return root


@pytest.fixture(scope="session")
def built_shop_per_model(built_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`built_shop` with `dbt_tasks: per_model`: Cosmos renders one task per model and per model's tests."""
    root = tmp_path_factory.mktemp("built_per_model") / "shop"
    shutil.copytree(built_shop, root, symlinks=True)
    return set_dbt_tasks(root, "per_model")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on 127.0.0.1 for the session. Missing binaries skip locally and fail under CI."""
    from tests.services.postgres import PostgresUnavailable, running_postgres

    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL: {exc}")


@pytest.fixture
def postgres_db(postgres_server, request):
    """A fresh database on the session's server, named after the test."""
    import re

    from tests.services.postgres import create_database

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return create_database(postgres_server, name)
