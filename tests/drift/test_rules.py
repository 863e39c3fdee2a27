"""Each drift rule on real DuckDB tables changed with ALTER TABLE or re-created, through the core check and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from airflow_provider_dango.warehouse import for_project
from tests.drift.conftest import sql


def _project(root: Path):
    from airflow_provider_dango.config import load_project

    return load_project(root)


def _changes(report) -> set[tuple]:
    return {(c.table, c.column, c.change, c.severity, c.old_type, c.new_type, c.rename_of) for c in report.changes}


SETUP = [
    "CREATE SCHEMA raw_a",
    "CREATE SCHEMA raw_b",
    "CREATE TABLE raw_a.widen (i INTEGER, t TINYINT, f FLOAT, d DECIMAL(10,2), u UTINYINT)",
    "CREATE TABLE raw_a.narrow (b BIGINT, dbl DOUBLE, d DECIMAL(12,2), s DECIMAL(10,2), v INTEGER)",
    "CREATE TABLE raw_a.cols (keep INTEGER, gone INTEGER, old_name VARCHAR, n INTEGER NOT NULL, m INTEGER)",
    'CREATE TABLE raw_a."we""ird table" ("select" INTEGER, "with space" VARCHAR, "ünï" INTEGER)',
    "CREATE TABLE raw_a.doomed (x INTEGER)",
    "CREATE TABLE raw_a._dlt_loads (load_id VARCHAR)",
    "CREATE TABLE raw_a.dlt_cols (x INTEGER, _dlt_id VARCHAR)",
    "CREATE TABLE raw_b.other (x INTEGER)",
]

CHANGE = [
    "ALTER TABLE raw_a.widen ALTER i TYPE BIGINT",
    "ALTER TABLE raw_a.widen ALTER t TYPE SMALLINT",
    "ALTER TABLE raw_a.widen ALTER f TYPE DOUBLE",
    "ALTER TABLE raw_a.widen ALTER d TYPE DECIMAL(14,2)",
    "ALTER TABLE raw_a.widen ALTER u TYPE INTEGER",
    "ALTER TABLE raw_a.narrow ALTER b TYPE INTEGER",
    "ALTER TABLE raw_a.narrow ALTER dbl TYPE FLOAT",
    "ALTER TABLE raw_a.narrow ALTER d TYPE DECIMAL(10,2)",
    "ALTER TABLE raw_a.narrow ALTER s TYPE DECIMAL(12,4)",
    "ALTER TABLE raw_a.narrow ALTER v TYPE VARCHAR",
    "ALTER TABLE raw_a.cols DROP COLUMN gone",
    "ALTER TABLE raw_a.cols RENAME old_name TO new_name",
    "ALTER TABLE raw_a.cols ADD COLUMN added DATE",
    "ALTER TABLE raw_a.cols ALTER n DROP NOT NULL",
    "ALTER TABLE raw_a.cols ALTER m SET NOT NULL",
    'ALTER TABLE raw_a."we""ird table" ALTER "select" TYPE BIGINT',
    'ALTER TABLE raw_a."we""ird table" DROP COLUMN "ünï"',
    "DROP TABLE raw_a.doomed",
    "CREATE TABLE raw_a.fresh (y INTEGER)",
    "DROP TABLE raw_a._dlt_loads",
    "ALTER TABLE raw_a.dlt_cols DROP COLUMN _dlt_id",
    "ALTER TABLE raw_a.dlt_cols ADD COLUMN _dlt_load_id VARCHAR",
    # dango's own tables never count
    "CREATE TABLE dango.dango_whatever (x INTEGER)",
]


def test_each_rule_on_real_tables(bare_project: Path) -> None:
    from airflow_provider_dango.drift import check

    project = _project(bare_project)
    sql(for_project(project).path, *SETUP)
    first = check(project)
    assert first.changes == []
    assert first.baselined == [
        "raw_a.cols",
        "raw_a.dlt_cols",
        "raw_a.doomed",
        "raw_a.narrow",
        'raw_a.we"ird table',
        "raw_a.widen",
        "raw_b.other",
    ]

    sql(for_project(project).path, *CHANGE)
    report = check(project)
    assert report.baselined == []
    assert _changes(report) == {
        ("raw_a.widen", "i", "type_changed", "additive", "INTEGER", "BIGINT", None),
        ("raw_a.widen", "t", "type_changed", "additive", "TINYINT", "SMALLINT", None),
        ("raw_a.widen", "f", "type_changed", "additive", "FLOAT", "DOUBLE", None),
        ("raw_a.widen", "d", "type_changed", "additive", "DECIMAL(10,2)", "DECIMAL(14,2)", None),
        ("raw_a.widen", "u", "type_changed", "additive", "UTINYINT", "INTEGER", None),
        ("raw_a.narrow", "b", "type_changed", "breaking", "BIGINT", "INTEGER", None),
        ("raw_a.narrow", "dbl", "type_changed", "breaking", "DOUBLE", "FLOAT", None),
        ("raw_a.narrow", "d", "type_changed", "breaking", "DECIMAL(12,2)", "DECIMAL(10,2)", None),
        ("raw_a.narrow", "s", "type_changed", "breaking", "DECIMAL(10,2)", "DECIMAL(12,4)", None),
        ("raw_a.narrow", "v", "type_changed", "breaking", "INTEGER", "VARCHAR", None),
        ("raw_a.cols", "gone", "column_removed", "breaking", "INTEGER", None, None),
        ("raw_a.cols", "old_name", "column_removed", "breaking", "VARCHAR", None, None),
        ("raw_a.cols", "new_name", "column_added", "additive", None, "VARCHAR", "old_name"),
        ("raw_a.cols", "added", "column_added", "additive", None, "DATE", None),
        ("raw_a.cols", "n", "nullability_changed", "additive", "NOT NULL", "NULL", None),
        ("raw_a.cols", "m", "nullability_changed", "additive", "NULL", "NOT NULL", None),
        ('raw_a.we"ird table', "select", "type_changed", "additive", "INTEGER", "BIGINT", None),
        ('raw_a.we"ird table', "ünï", "column_removed", "breaking", "INTEGER", None, None),
        ("raw_a.doomed", None, "table_removed", "breaking", None, None, None),
        ("raw_a.fresh", None, "table_added", "additive", None, None, None),
    }
    assert report.blocked_sources == ["a"]  # raw_<name> -> source <name>; raw_b is untouched

    # Additive-only tables advanced their baseline; breaking ones kept theirs and are reported again.
    again = check(project)
    assert {c.table for c in again.changes} == {"raw_a.narrow", "raw_a.cols", 'raw_a.we"ird table', "raw_a.doomed"}
    assert all(c.table != "raw_a.widen" for c in again.changes)


def test_table_dropped_and_broken_view_give_results_not_crashes(bare_project: Path) -> None:
    from airflow_provider_dango.drift import check

    project = _project(bare_project)
    sql(
        for_project(project).path,
        "CREATE SCHEMA raw_v",
        "CREATE TABLE raw_v.base (x INTEGER)",
        "CREATE VIEW raw_v.on_base AS SELECT x FROM raw_v.base",
    )
    assert check(project, ["v"]).baselined == ["raw_v.base", "raw_v.on_base"]
    # The table goes away under its view: the check reads metadata only, never the tables, so it cannot crash.
    sql(for_project(project).path, "DROP TABLE raw_v.base")
    report = check(project, ["v"])
    assert ("raw_v.base", None, "table_removed", "breaking", None, None, None) in _changes(report)
    assert report.blocked_sources == ["v"]


def test_cli_json_exact_format_exit_codes_and_accept(bare_project: Path, capsys: pytest.CaptureFixture) -> None:
    from airflow_provider_dango.cli import main

    project = _project(bare_project)
    sql(for_project(project).path, "CREATE SCHEMA raw_x", "CREATE TABLE raw_x.t (a INTEGER, b VARCHAR)")
    args = ["--project-dir", str(bare_project)]

    # Nothing baselined yet: exporting says so instead of writing an empty baseline that would fail every table.
    assert main(["drift", "baseline", "export", *args]) == 2
    assert "no accepted baselines" in capsys.readouterr().err

    assert main(["drift", "check", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out) == {"baselined": ["raw_x.t"], "changes": [], "blocked_sources": []}

    sql(for_project(project).path, "ALTER TABLE raw_x.t DROP COLUMN b", "ALTER TABLE raw_x.t ADD COLUMN c INTEGER")
    assert main(["drift", "check", "--source", "x", "--json", *args]) == 1
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "baselined": [],
        "changes": [
            {"table": "raw_x.t", "column": "b", "change": "column_removed", "severity": "breaking",
             "old_type": "VARCHAR", "new_type": None, "rename_of": None},
            {"table": "raw_x.t", "column": "c", "change": "column_added", "severity": "additive",
             "old_type": None, "new_type": "INTEGER", "rename_of": None},
        ],
        "blocked_sources": ["x"],
    }  # fmt: skip
    assert out.count("\n") == 1  # only the JSON document on stdout: no dbt log lines

    assert main(["drift", "check", *args]) == 1  # still breaking: the baseline stays
    text = " ".join(capsys.readouterr().out.split())
    assert "dango drift accept x" in text
    # raw_x is no synced source of this project: no DAG gates dbt on it, so the CLI must not claim a block.
    assert "x is not a synced source, so no DAG gates dbt on it and nothing is blocked" in text
    assert "are skipped" not in text

    assert main(["governance", "accept", "x", *args]) == 0  # Dango's spelling of `dango drift accept`
    assert "raw_x.t" in capsys.readouterr().out
    assert main(["drift", "check", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []

    out_file = bare_project / "ci" / "baseline.yml"
    assert main(["drift", "baseline", "export", "--out", str(out_file), *args]) == 0
    capsys.readouterr()
    exported = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert exported["tables"] == [{"schema": "raw_x", "table": "t", "accepted_by": "dango drift accept", "columns": [
        {"name": "a", "type": "INTEGER", "nullable": True}, {"name": "c", "type": "INTEGER", "nullable": True}]}]
    seed = (bare_project / "dbt" / "seeds" / "dango_drift_baseline.csv").read_text(encoding="utf-8")
    assert seed.splitlines()[1:] == ["raw_x,t,a,1,INTEGER,YES", "raw_x,t,c,2,INTEGER,YES"]

    assert main(["drift", "check", "--source", "nope", *args]) == 2
    assert "unknown source 'nope'" in capsys.readouterr().err
    assert main(["drift", "accept", *args]) == 2
