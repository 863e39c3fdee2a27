"""Fixtures for the PII tests: a small dbt project with dango_monitors, and a synced demo shop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_dango.commands.output import silenced_stdout
from tests.conftest import REPO, copy_project

PACKAGE = REPO / "dbt_packages" / "dango_monitors"


class MacroProject:
    """A dbt project that only installs dango_monitors, to compile its macros into SQL."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warehouse = root / "macro.duckdb"
        root.mkdir(parents=True, exist_ok=True)
        (root / "dbt_project.yml").write_text(
            "name: pii_macros\nversion: '1.0'\nconfig-version: 2\nprofile: pii_macros\n", encoding="utf-8"
        )
        (root / "profiles.yml").write_text(
            f"pii_macros:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{self.warehouse}'\n",
            encoding="utf-8",
        )
        (root / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
        self.invoke(["deps", "--quiet"])

    def invoke(self, args: list[str]) -> Any:
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke([*args, "--project-dir", str(self.root), "--profiles-dir", str(self.root)])
        assert result.success, result.exception
        return result

    def compile(self, jinja: str) -> str:
        with silenced_stdout():
            result = self.invoke(["--quiet", "compile", "--inline", jinja])
        return result.result.results[0].node.compiled_code

    def entities(self) -> list[dict[str, Any]]:
        return json.loads(self.compile("{{ tojson(dango_monitors.pii_entities()) }}"))


@pytest.fixture(scope="session")
def macros(tmp_path_factory: pytest.TempPathFactory) -> MacroProject:
    return MacroProject(tmp_path_factory.mktemp("pii_macros") / "project")


@pytest.fixture(scope="module")
def synced_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop synced into its warehouse, with dango_monitors installed (dbt deps + parse)."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.sync import run_sync

    root = copy_project(tmp_path_factory.mktemp("pii_shop") / "shop")
    project = load_project(root)
    run_sync(project, "shop")
    build_manifest(project)
    return root


def fresh_copy(src: Path, dest: Path) -> Path:
    """A copy of a synced project (warehouse and installed packages included) a test may change."""
    shutil.copytree(src, dest, symlinks=True)
    return dest
