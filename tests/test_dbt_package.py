"""The dango_monitors dbt package builds in its integration_tests project with plain `dbt build`.

Tests tagged `expect_failure` are checks that must fail on the fixtures they run against (for example breaking drift
that nobody accepted): they are excluded from the build and then run on their own, and each must fail.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "dbt_packages" / "dango_monitors"


def _dbt(args: list[str], project: Path, warehouse: Path):
    from dbt.cli.main import dbtRunner

    old = os.environ.get("DANGO_WAREHOUSE")
    os.environ["DANGO_WAREHOUSE"] = str(warehouse)
    try:
        return dbtRunner().invoke([*args, "--project-dir", str(project), "--profiles-dir", str(project)])
    finally:
        if old is None:
            os.environ.pop("DANGO_WAREHOUSE", None)
        else:
            os.environ["DANGO_WAREHOUSE"] = old


@pytest.fixture(scope="module")
def integration_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dbtpkg")
    project = root / "integration_tests"
    shutil.copytree(PACKAGE / "integration_tests", project, ignore=shutil.ignore_patterns("target", "dbt_packages"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
    warehouse = root / "integration.duckdb"
    assert _dbt(["deps", "--quiet"], project, warehouse).success
    return project, warehouse


def test_dbt_project_declares_name_and_version_range() -> None:
    import yaml

    config = yaml.safe_load((PACKAGE / "dbt_project.yml").read_text())
    assert config["name"] == "dango_monitors"
    assert config["require-dbt-version"]


def test_integration_tests_build(integration_project: tuple[Path, Path]) -> None:
    project, warehouse = integration_project
    result = _dbt(["build", "--exclude", "tag:expect_failure"], project, warehouse)
    failed = [r.node.unique_id for r in (result.result or []) if str(r.status) not in ("success", "pass")]
    assert result.success, f"dbt build failed: {failed or result.exception}"
    run_results = json.loads((project / "target" / "run_results.json").read_text())
    assert run_results["results"], "dbt build ran nothing"


def test_expected_failures_fail(integration_project: tuple[Path, Path]) -> None:
    project, warehouse = integration_project
    listed = _dbt(["ls", "--select", "tag:expect_failure", "--resource-type", "test", "--output", "name"],
                  project, warehouse)
    names = [n for n in (listed.result or []) if n]
    if not names:
        pytest.skip("no test is tagged expect_failure yet")
    result = _dbt(["test", "--select", "tag:expect_failure"], project, warehouse)
    passed = [r.node.name for r in result.result if str(r.status) == "pass"]
    assert not passed, f"these checks should have failed: {passed}"
