"""`dango pii scan` end to end on the demo shop: real sync, real dbt, real DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from airflow_provider_dango.cli import main
from airflow_provider_dango.config import load_project
from airflow_provider_dango.pii import read_run, scan
from airflow_provider_dango.warehouse import for_project
from tests.pii.conftest import fresh_copy

JSON_KEYS = ["table", "column", "entity", "prevalence", "confidence", "sample_size", "example", "new"]


def _scan_json(capfd, root: Path, *extra: str) -> tuple[int, dict]:
    capfd.readouterr()
    code = main(["pii", "scan", "--json", "--project-dir", str(root), *extra])
    out = capfd.readouterr().out
    return code, json.loads(out)


def test_json_output_finds_customers_and_notes(capfd, synced_shop: Path, tmp_path: Path) -> None:
    root = fresh_copy(synced_shop, tmp_path / "shop")
    code, data = _scan_json(capfd, root)
    assert code == 0
    assert list(data) == ["findings"]
    found = {(f["table"], f["column"], f["entity"]) for f in data["findings"]}
    assert {
        ("raw_shop.customers", "email", "EMAIL_ADDRESS"),
        ("raw_shop.customers", "phone", "PHONE_NUMBER"),
        ("raw_shop.customers", "first_name", "PERSON"),
        ("raw_shop.customers", "last_name", "PERSON"),
        ("raw_shop.orders", "notes", "EMAIL_ADDRESS"),
    } <= found
    # Nothing else: ids, currencies, statuses and dlt's own tables are not PII.
    assert all(t.startswith("raw_shop.") and not t.split(".")[1].startswith("_dlt") for t, _, _ in found)
    assert {c for _, c, _ in found} == {"email", "phone", "first_name", "last_name", "notes"}
    for f in data["findings"]:
        assert list(f) == JSON_KEYS
        assert f["new"] is True
        assert 0 < f["prevalence"] <= 1 and 0 < f["confidence"] <= 0.99
        assert "*" in f["example"]
    email = next(f for f in data["findings"] if f["column"] == "email")
    assert email["prevalence"] == 1.0 and email["sample_size"] == 500 and email["confidence"] >= 0.95
    notes = next(f for f in data["findings"] if f["column"] == "notes")
    assert 0.02 < notes["prevalence"] < 0.1  # emails only in the last week's notes

    # Second scan: same findings, none new.
    code, again = _scan_json(capfd, root)
    assert code == 0
    assert {(f["table"], f["column"], f["entity"]) for f in again["findings"]} == found
    assert not any(f["new"] for f in again["findings"])


def test_no_raw_value_in_findings_or_logs(synced_shop: Path, tmp_path: Path) -> None:
    root = fresh_copy(synced_shop, tmp_path / "shop")
    project = load_project(root)
    result = scan(project, full=True)
    with duckdb.connect(str(for_project(project).path)) as con:
        emails = [r[0] for r in con.execute("SELECT email FROM raw_shop.customers").fetchall()]
        phones = [r[0] for r in con.execute("SELECT phone FROM raw_shop.customers").fetchall()]
        stored = " ".join(
            str(v) for row in con.execute("SELECT * FROM dango.dango_pii_findings").fetchall() for v in row
        )
    dbt_log = (project.dbt_project_dir / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    summary = json.dumps(result.as_dict())
    for raw in emails + phones:
        assert raw not in stored
        assert raw not in dbt_log
        assert raw not in summary


def test_scope_options_and_full_scan(synced_shop: Path, tmp_path: Path) -> None:
    root = fresh_copy(synced_shop, tmp_path / "shop")
    project = load_project(root)
    only_orders = scan(project, tables=["orders"], full=True)
    assert {f.table for f in only_orders.findings} == {"raw_shop.orders"}
    assert all(f.sample_size > 0 for f in only_orders.findings)
    none = scan(project, schemas=["marts"])
    assert all(f.table.startswith("marts.") for f in none.findings)


def test_bad_input_is_skipped_with_a_reason(synced_shop: Path, tmp_path: Path) -> None:
    root = fresh_copy(synced_shop, tmp_path / "shop")
    project = load_project(root)
    with duckdb.connect(str(for_project(project).path)) as con:
        con.execute("CREATE SCHEMA odd")
        con.execute("CREATE TABLE odd.empty_t (email VARCHAR)")
        con.execute("CREATE TABLE odd.numbers (n INTEGER, d DATE, b BLOB)")
        con.execute(
            "CREATE TABLE odd.mixed AS SELECT NULL::VARCHAR AS all_null, repeat('x@y ', 100000) AS huge, "
            "'Ünïcødé ☃ \u0000 ' || i AS odd_text, CASE WHEN i < 5 THEN 'a' || i || '@example.com' END AS few "
            "FROM range(100) t(i)"
        )
    result = scan(project, schemas=["odd"])
    reasons = {(s.table, s.column): s.reason for s in result.skips}
    assert reasons[("odd.empty_t", None)] == "empty table"
    assert reasons[("odd.numbers", None)] == "no string columns"
    assert reasons[("odd.numbers", "n")] == "not a string column (INTEGER)"
    assert reasons[("odd.mixed", "all_null")] == "no non-null values in the sample"
    assert reasons[("odd.mixed", "few")].startswith("only 5 non-null values")
    assert not result.findings


def test_human_output(capfd, synced_shop: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    root = fresh_copy(synced_shop, tmp_path / "shop")
    assert main(["pii", "scan", "--project-dir", str(root), "--table", "raw_shop.customers"]) == 0
    out = capfd.readouterr().out
    assert "EMAIL_ADDRESS" in out and "raw_shop.customers" in out
    assert read_run  # the CLI reads results back through read_run
