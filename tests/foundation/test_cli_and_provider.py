"""The `dango` CLI as a user runs it (a real subprocess), and the provider as Airflow discovers it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE, REPO

DANGO = str(Path(sys.executable).with_name("dango"))


def dango(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DANGO, *args], capture_output=True, text=True, cwd=cwd, check=False)


def test_validate_good_project() -> None:
    proc = dango("validate", "--project-dir", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert "ok: 2 schedule(s), 1 source(s)" in proc.stdout


def test_validate_bad_project_prints_one_line_per_problem(tmp_path: Path) -> None:
    project = tmp_path / "bad"
    shutil.copytree(EXAMPLE / ".dango", project / ".dango")
    shutil.copytree(EXAMPLE / "pipelines", project / "pipelines")
    (project / "dbt").mkdir()
    (project / "dbt" / "dbt_project.yml").write_text("name: x\n")
    (project / ".dango" / "schedules.yml").write_text(
        "schedules:\n"
        "  - name: hourly\n    cron: '61 * * * *'\n    sources: [shop]\n"
        "  - name: typo\n    cron: daily\n    sources: [shpo]\n"
        "  - name: ok\n    cron: daily\n    sources: [shop]\n    timezon: UTC\n"
    )
    proc = dango("config", "validate", "--project-dir", str(project))  # Dango's spelling
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        ".dango/schedules.yml:3: schedules[0].cron: invalid cron expression '61 * * * *': use 5 fields "
        "(m h dom mon dow) or a preset (every_15m, every_hour, every_6h, daily, weekly) (in 'hourly')",
        ".dango/schedules.yml:7: schedules[1].sources[0]: unknown source 'shpo' (did you mean 'shop'?)",
        ".dango/schedules.yml:11: schedules[2].timezon: unknown key (did you mean 'timezone'?) (in 'ok')",
    ]
    assert "Traceback" not in proc.stderr + proc.stdout


def test_validate_deep_reports_a_source_that_fails_on_import(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("data", "target", "dbt_packages"))
    (project / "pipelines" / "broken.py").write_text("import not_installed_anywhere\n")
    sources = project / ".dango" / "sources.yml"
    sources.write_text(sources.read_text() + "  - name: broken\n    function: pipelines.broken:make\n")
    assert dango("validate", "--project-dir", str(project)).returncode == 0  # found, not imported
    proc = dango("validate", "--deep", "--project-dir", str(project))
    assert proc.returncode == 1
    assert "source 'broken': cannot import 'pipelines.broken': No module named 'not_installed_anywhere'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_init_then_validate_then_dags_import(tmp_path: Path, airflow_db: Path) -> None:
    target = tmp_path / "new_project"
    proc = dango("init", str(target))
    assert proc.returncode == 0, proc.stderr
    assert (target / ".dango" / "schedules.yml").exists()
    assert dango("validate", "--deep", "--project-dir", str(target)).returncode == 0
    assert dango("dbt", "manifest", "--project-dir", str(target)).returncode == 0
    # The scaffolded DAG file imports cleanly in a real DagBag and yields the example schedule's DAG.
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(target / "dags"), safe_mode=True)
    assert bag.import_errors == {}
    assert list(bag.dags) == ["dango_example_daily"]
    tasks = [t.task_id for t in bag.dags["dango_example_daily"].tasks]
    # Cosmos: a model without tests is a single task; the drift check runs before it, PII and monitors after it.
    assert tasks[:2] == ["sync_example", "dbt.stg_events_run"]
    assert {"schema_drift", "pii_scan", "monitors"} <= set(tasks)
    # init refuses to overwrite a project.
    again = dango("init", str(target))
    assert again.returncode == 1 and "is not empty" in again.stderr


def test_provider_info_matches_airflow_schema() -> None:
    import importlib.resources

    import jsonschema

    from airflow_provider_dango import get_provider_info

    schema = json.loads((importlib.resources.files("airflow") / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "airflow-provider-dango"


def test_entry_point_is_registered() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_provider_dango")]
    assert ep.load()()["name"] == "Dango"


def test_airflow_providers_get_shows_it(airflow_db: Path) -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    proc = subprocess.run(
        [airflow, "providers", "get", "airflow-provider-dango", "-o", "json"],
        capture_output=True, text=True, env=os.environ.copy(), check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "airflow-provider-dango" in proc.stdout
    assert REPO.exists()
