"""The Astro CLI project: its DAG file imports the demo project cleanly, and its own DAG tests pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO

ASTRO = REPO / "astro"


def test_astro_project_files() -> None:
    assert (ASTRO / "Dockerfile").read_text().startswith("FROM astrocrpublic.azurecr.io/runtime:3")
    settings = yaml.safe_load((ASTRO / "airflow_settings.yaml").read_text())
    (pool,) = settings["airflow"]["pools"]
    assert (pool["pool_name"], pool["pool_slot"]) == ("dango_warehouse", 1)
    assert "airflow-provider-dango" in (ASTRO / "requirements.txt").read_text()


def test_astro_dag_tests_pass_on_the_demo_project(built_shop: Path, tmp_path: Path) -> None:
    astro = tmp_path / "astro"
    shutil.copytree(ASTRO, astro)
    shutil.copytree(built_shop, astro / "include" / "shop", symlinks=True)
    env = {**os.environ, "DANGO_PROJECT_DIR": str(astro / "include" / "shop")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(astro / "tests" / "dags")],
        cwd=astro, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "4 passed" in proc.stdout
