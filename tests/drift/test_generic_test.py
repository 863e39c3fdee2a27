"""`dango_monitors.no_breaking_schema_drift` in plain dbt: passes on first sight and on additive changes, fails on a
breaking change and keeps failing on every later run until the change is accepted."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.drift.conftest import sql
from tests.test_dbt_package import Target, _dbt

PACKAGE = REPO / "dbt_packages" / "dango_monitors"


@pytest.fixture
def dbt_project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "integration_tests"
    shutil.copytree(PACKAGE / "integration_tests", project, ignore=shutil.ignore_patterns("target", "dbt_packages"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    assert _dbt(["deps", "--quiet"], project, warehouse).success
    return project, warehouse


def _drift_test(project: Path, warehouse: Path, variant: str) -> list[tuple]:
    """Build drift_orders with a variant of its columns, run its drift test; returns the failing rows' changes."""
    result = _dbt(["build", "--select", "drift_orders", "--vars", f"{{drift_variant: {variant}}}"], project, warehouse)
    statuses = {r.node.resource_type: str(r.status) for r in result.result}
    assert statuses["model"] == "success", statuses
    if statuses["test"] == "pass":
        return []
    assert statuses["test"] == "fail", statuses
    return sorted(
        sql(
            warehouse,
            "SELECT column_name, change, old_type, new_type FROM dango.dango_schema_changes "
            "WHERE table_name = 'drift_orders' AND severity = 'breaking' "
            "AND run_id = (SELECT max(run_id) FROM dango.dango_schema_changes WHERE checked_at = "
            "(SELECT max(checked_at) FROM dango.dango_schema_changes))",
        )
    )


def test_generic_test_fails_until_accepted(dbt_project: tuple[Path, Path]) -> None:
    project, warehouse = dbt_project
    assert _drift_test(project, warehouse, "v1") == []  # first sight: baseline stored, passes
    assert _drift_test(project, warehouse, "v3") == []  # widened + added: additive, baseline advances
    broken = [
        ("amount", "type_changed", "DECIMAL(12,2)", "DECIMAL(8,2)"),
        ("extra", "column_removed", "VARCHAR", None),
        ("id", "type_changed", "BIGINT", "INTEGER"),
        ("note", "column_removed", "VARCHAR", None),
    ]
    assert _drift_test(project, warehouse, "v2") == broken
    # Nothing changed since, yet it keeps failing: the baseline is not reset by failing once.
    assert _drift_test(project, warehouse, "v2") == broken

    schema = sql(warehouse, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'drift_orders'")[0][
        0
    ]
    accepted = _dbt(
        ["run-operation", "dango_monitors.drift_accept", "--args", f"{{relations: [[{schema}, drift_orders]]}}"],
        project,
        warehouse,
    )
    assert accepted.success
    assert _drift_test(project, warehouse, "v2") == []


def _operation_log(project: Path, warehouse: Path, macro: str, args: str) -> str:
    """Run a run-operation and return what dbt logged at info level (what a person sees)."""
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def keep(event: Any) -> None:  # dbt's EventMsg
        if event.info.name == "JinjaLogInfo":
            lines.append(event.info.msg)

    with Target("duckdb", {"DANGO_WAREHOUSE": str(warehouse)}).environment():
        result = dbtRunner(callbacks=[keep]).invoke(
            ["run-operation", macro, "--args", args, "--project-dir", str(project), "--profiles-dir", str(project)]
        )
    assert result.success, result.exception
    return "\n".join(lines)


def test_check_and_accept_log_a_human_summary(dbt_project: tuple[Path, Path]) -> None:
    """drift_check says per table what changed, what is breaking and what happens next; drift_accept says what it
    accepted (it used to print nothing at all)."""
    project, warehouse = dbt_project
    sql(warehouse, "CREATE SCHEMA raw_shop", "CREATE TABLE raw_shop.orders (id INTEGER, amount DECIMAL(12,2), note "
        "VARCHAR)", "CREATE TABLE raw_shop.customers (id INTEGER)",
        # dbt's --store-failures tables are no source: drift never baselines them
        "CREATE SCHEMA main_dbt_test__audit", "CREATE TABLE main_dbt_test__audit.not_null_orders_id (id INTEGER)")
    first = _operation_log(project, warehouse, "dango_monitors.drift_check", "{run_id: s1}")  # every schema
    assert "dango drift_check run s1: 2 table(s) checked: 0 with breaking changes, 0 additive, 2 baselined" in first
    assert "raw_shop.orders: first sight, baseline stored" in first
    assert "dbt_test__audit" not in first
    sql(warehouse, "ALTER TABLE raw_shop.orders DROP COLUMN note", "ALTER TABLE raw_shop.customers ADD COLUMN email "
        "VARCHAR")
    second = _operation_log(project, warehouse, "dango_monitors.drift_check", "{schemas: [raw_shop], run_id: s2}")
    assert "1 with breaking changes, 1 additive, 0 baselined" in second
    assert "raw_shop.orders: BREAKING note column_removed (VARCHAR -> -) [breaking]" in second
    assert "fails until accepted" in second
    assert "raw_shop.customers: additive email column_added (- -> VARCHAR) - baseline advanced" in second
    accepted = _operation_log(project, warehouse, "dango_monitors.drift_accept", "{schemas: [raw_shop]}")
    assert "1 table(s) accepted" in accepted
    assert "raw_shop.orders: accepted note column_removed (VARCHAR -> -) [breaking]" in accepted
