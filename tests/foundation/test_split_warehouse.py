"""The warehouse is named once. An existing dbt project whose profile hard-codes its own DuckDB file (not the example,
not dango's default path): every command reads and writes that file, `dango validate` names the disagreement, and the
audit rows of drift, PII and monitors join with their results on the run id.

Before the fix, `dango pii scan` ran its macro against a new empty file and printed `No PII found.` (exit 0).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

DANGO = str(Path(sys.executable).with_name("dango"))
ROWS = 240


def dango(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DANGO, *args], capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A team's existing dbt project: profile `analytics`, target `prod`, a hard-coded relative path."""
    root = tmp_path_factory.mktemp("split") / "legacy"
    dbt = root / "transform"
    (dbt / "models").mkdir(parents=True)
    (dbt / "dbt_project.yml").write_text(
        "name: legacy_analytics\nversion: '1.0'\nconfig-version: 2\nprofile: analytics\nmodel-paths: [models]\n"
    )
    (dbt / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
    (dbt / "profiles.yml").write_text(
        "analytics:\n  target: prod\n  outputs:\n"
        "    dev:\n      type: duckdb\n      path: /nonexistent/dev.duckdb\n"
        "    prod:\n      type: duckdb\n      path: ../warehouse_files/analytics.duckdb\n      threads: 1\n"
    )
    (dbt / "models" / "customer_count.sql").write_text("select count(*) as n from raw_crm.customers\n")
    dango_dir = root / ".dango"
    dango_dir.mkdir()
    (dango_dir / "project.yml").write_text(
        "project:\n  name: legacy\nplatform:\n  duckdb_path: ./data/warehouse.duckdb\n  dbt_project_dir: ./transform\n"
    )
    (dango_dir / "monitors.yml").write_text(
        "monitors:\n  - name: customers_total\n    source_table: raw_crm.customers\n    value_expression: count(*)\n"
        "    compare: prior_period\n    alert_threshold: 20\n"
    )
    warehouse = root / "warehouse_files" / "analytics.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw_crm")
        con.execute("CREATE TABLE raw_crm.customers (id INTEGER, email VARCHAR, city VARCHAR)")
        con.executemany(
            "INSERT INTO raw_crm.customers VALUES (?, ?, ?)",
            [(i, f"customer{i}.name@example{i % 7}.com", ["Lyon", "Oslo", "Porto"][i % 3]) for i in range(ROWS)],
        )
    built = dango("dbt", "manifest", "--project-dir", str(root))
    assert built.returncode == 0, built.stdout + built.stderr
    return {"root": root, "warehouse": warehouse, "dango_default": root / "data" / "warehouse.duckdb"}


def _rows(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_validate_names_both_paths_in_one_line(legacy: dict[str, Path]) -> None:
    proc = dango("validate", "--project-dir", str(legacy["root"]))
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(".dango/project.yml:4: platform.duckdb_path is ")
    assert str(legacy["dango_default"]) in line and str(legacy["warehouse"]) in line
    assert "analytics.prod" in line


def test_every_command_uses_the_dbt_targets_file(legacy: dict[str, Path]) -> None:
    root, warehouse = legacy["root"], legacy["warehouse"]

    pii = dango("pii", "scan", "--project-dir", str(root), "--json")
    assert pii.returncode == 0, pii.stderr
    findings = json.loads(pii.stdout)["findings"]
    emails = [f for f in findings if f["column"] == "email"]
    assert emails and emails[0]["entity"] == "EMAIL_ADDRESS" and emails[0]["table"].endswith("customers")

    drift = dango("drift", "check", "--project-dir", str(root), "--json")
    assert drift.returncode == 0, drift.stderr
    assert "raw_crm.customers" in json.loads(drift.stdout)["baselined"]

    monitors = dango("monitors", "run", "--project-dir", str(root), "--json")
    assert monitors.returncode == 0, monitors.stderr
    [result] = json.loads(monitors.stdout)["results"]
    assert result["name"] == "customers_total" and result["value"] == ROWS

    assert not legacy["dango_default"].exists(), "nothing may create or read dango's default file"

    # Each command's audit rows are in the same file, and join with that command's own result rows on the run id.
    joins = {
        "pii": "SELECT count(*) FROM dango.dango_audit_check_results a JOIN dango.dango_pii_findings r "
        "ON a.run_id = r.run_id AND a.target = r.table_name || '.' || r.column_name WHERE a.check_type = 'pii'",
        "drift": "SELECT count(*) FROM dango.dango_audit_check_results a JOIN dango.dango_schema_changes r "
        "ON a.run_id = r.run_id WHERE a.check_type = 'drift'",
        "monitor": "SELECT count(*) FROM dango.dango_audit_check_results a JOIN dango.dango_monitor_results r "
        "ON a.run_id = r.run_id AND a.check_name = 'monitor:' || r.monitor WHERE a.check_type = 'monitor'",
    }
    for check, sql in joins.items():
        assert _rows(warehouse, sql)[0][0] > 0, f"{check}: no audit row joins its results on the run id"
