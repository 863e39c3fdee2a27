"""`dango demo` as `make demo` runs it (a subprocess with a clean Airflow environment), on the embedded DuckDB
warehouse and on a PostgreSQL one: the DAG run succeeds, every story runs, and the drift story's numbers are what a
person reading the output would check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_project

BIN = Path(sys.executable).parent


def _clean_env(project: Path) -> dict[str, str]:
    """The test session's Airflow settings removed: the demo makes its own AIRFLOW_HOME in the project."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DANGO_"))}
    env["COLUMNS"] = "200"
    return env


@pytest.mark.parametrize("warehouse", ["duckdb", "postgres"])
def test_dango_demo_tells_every_story(warehouse: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    root = copy_project(tmp_path / "shop")
    env = _clean_env(root)
    if warehouse == "postgres":
        from tests.services.postgres import point_project_at

        env.update(point_project_at(root, request.getfixturevalue("postgres_db")))
    proc = subprocess.run(
        [str(BIN / "dango"), "demo", "--project-dir", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "DAG run finished: success" in out
    # The drift story: every model reads the shop source, so a breaking change skips all five; after accept, all
    # five are built again.
    assert "dbt blocked downstream of shop: 5 model(s) skipped" in out, out
    assert "After accept: dbt built 5/5 models, DAG run success" in out, out
    assert "raw_shop.orders.customer_id" in out and "breaking" in out
    if warehouse == "postgres":
        assert "dropped staging.stg_orders first" in out, out
        assert not (root / "data").exists() or not list((root / "data").glob("*.duckdb"))
    assert "Catalog: " in out and (root / "target" / "dango_catalog" / "index.html").exists()


def test_dango_demo_of_a_failing_schedule_names_the_cause(tmp_path: Path) -> None:
    """A `type: dbt` schedule demoed before anything was synced cannot work: the terminal says why in one line per
    failed task (from the audit trail), not only which tasks failed."""
    root = copy_project(tmp_path / "shop")
    schedules = root / ".dango" / "schedules.yml"
    schedules.write_text(schedules.read_text().replace("enabled: false", "enabled: true"), encoding="utf-8")
    proc = subprocess.run(
        [str(BIN / "dango"), "demo", "--project-dir", str(root), "--schedule", "marts_refresh"],
        env=_clean_env(root),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "DAG run finished: failed" in proc.stdout
    lines = [ln.strip() for ln in proc.stderr.splitlines()]
    assert any(ln.startswith("tasks not successful:") and "schema_drift" in ln for ln in lines), proc.stderr
    cause = [ln for ln in lines if ln.startswith("schema_drift: WarehouseMissingError:")]
    assert cause and "never synced" in cause[0] and "dango sync" in cause[0], proc.stderr
