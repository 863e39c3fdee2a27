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
    schedules = astro / "include" / "shop" / ".dango" / "schedules.yml"  # with a webhook, as a team runs it
    text = schedules.read_text(encoding="utf-8")
    assert "  webhooks: []" in text
    webhook = '  webhooks:\n    - name: ops\n      url: "${OPS_WEBHOOK_URL}"'
    schedules.write_text(text.replace("  webhooks: []", webhook), encoding="utf-8")
    env = {
        **os.environ,
        "DANGO_PROJECT_DIR": str(astro / "include" / "shop"),
        "OPS_WEBHOOK_URL": "http://127.0.0.1:9/ops",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(astro / "tests" / "dags")],
        cwd=astro, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "4 passed" in proc.stdout
    dag_ids = subprocess.run(
        [sys.executable, "-c", "from airflow.dag_processing.dagbag import DagBag; "
         f"print(sorted(DagBag(dag_folder={str(astro / 'dags')!r}).dag_ids))"],
        cwd=astro, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert "dango_stale_check" in dag_ids  # the webhook's stale check was among the DAGs checked
