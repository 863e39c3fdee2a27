"""The built wheel, installed into a fresh venv, carries the dbt package: `dango init` elsewhere, then dbt deps and
the DAGs work with no edit and no path into this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _uv() -> str:
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        pytest.fail("uv is missing from the project venv (make install puts it there)")
    return str(uv)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([_uv(), "build", "--wheel", "--out-dir", str(root / "dist"), str(REPO)],
                   check=True, capture_output=True)
    wheel = next((root / "dist").glob("airflow_provider_dango-*.whl"))
    venv = root / "venv"
    subprocess.run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, capture_output=True)
    return venv


def test_wheel_ships_the_dbt_package_and_a_new_project_builds(wheel_venv: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DANGO_MONITORS_PATH", "PYTHONPATH", "VIRTUAL_ENV")}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")
    dango = str(wheel_venv / "bin" / "dango")

    path = subprocess.run([dango, "dbt", "package-path"], env=env, cwd=tmp_path, check=True,
                          capture_output=True, text=True).stdout.strip()
    assert path.startswith(str(wheel_venv)), f"package-path points outside the installed wheel: {path}"
    assert {"drift", "monitors", "pii"} <= {p.name for p in (Path(path) / "macros").iterdir()}
    assert not (Path(path) / "integration_tests").exists()

    subprocess.run([dango, "init", str(tmp_path / "proj")], env=env, cwd=tmp_path, check=True, capture_output=True)
    assert str(REPO) not in (tmp_path / "proj" / "dbt" / "packages.yml").read_text()
    # Moved after init: nothing in the project may depend on where it was created.
    project = tmp_path / "moved"
    shutil.move(tmp_path / "proj", project)
    built = subprocess.run([dango, "dbt", "manifest", "--project-dir", str(project)], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    installed = project / "dbt" / "dbt_packages" / "dango_monitors"
    assert (installed / "macros" / "pii").is_dir(), "dbt deps did not install dango_monitors"
    assert installed.resolve().is_relative_to(wheel_venv)

    dags = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c",
         "import sys; from airflow_provider_dango.dag_factory import build_dags; "
         "d = build_dags(sys.argv[1]); print(sorted(d))", str(project)],
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )
    assert dags.returncode == 0, dags.stderr[-3000:]
    assert "example_daily" in dags.stdout
