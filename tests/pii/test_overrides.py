"""`.dango/pii-overrides.yml`: Dango's format, file:line errors, and the scan honouring it."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_dango.config import load_project
from airflow_provider_dango.config.pii_overrides import load_pii_overrides
from airflow_provider_dango.pii import scan
from tests.pii.conftest import fresh_copy

GOOD_AND_BAD = """\
overrides:
  - source: shop
    table: customers
    column: phone
    status: not_pii
    set_by: dana@example.com
    reason: company switchboard numbers
    updated_at: "2026-11-20T10:00:00"
  - table: raw_shop.customers
    column: email
    status: pii
  - table: customers
    column: first_name
    status: maybe
  - table: customers
    colum: last_name
    status: pii
"""


def test_loader_reports_file_line_and_keeps_good_entries(tmp_path: Path) -> None:
    dango = tmp_path / ".dango"
    dango.mkdir()
    (dango / "pii-overrides.yml").write_text(GOOD_AND_BAD, encoding="utf-8")
    overrides, problems = load_pii_overrides(dango, tmp_path)
    assert [(o.table_name, o.column, o.status) for o in overrides] == [
        ("raw_shop.customers", "phone", "not_pii"),
        ("raw_shop.customers", "email", "pii"),
    ]
    lines = [str(p) for p in problems]
    assert any(line.startswith(".dango/pii-overrides.yml:14: overrides[2].status") for line in lines), lines
    assert any(
        line.startswith(".dango/pii-overrides.yml:16: overrides[3].colum: unknown key (did you mean 'column'?)")
        for line in lines
    ), lines


def test_loader_handles_invalid_yaml(tmp_path: Path) -> None:
    dango = tmp_path / ".dango"
    dango.mkdir()
    (dango / "pii-overrides.yml").write_text("overrides:\n  - table: [unclosed\n", encoding="utf-8")
    overrides, problems = load_pii_overrides(dango, tmp_path)
    assert overrides == []
    assert problems and str(problems[0]).startswith(".dango/pii-overrides.yml:")


def test_scan_honours_overrides_and_events_only_for_new(synced_shop: Path, tmp_path: Path) -> None:
    root = fresh_copy(synced_shop, tmp_path / "shop")
    (root / ".dango" / "pii-overrides.yml").write_text(GOOD_AND_BAD, encoding="utf-8")
    project = load_project(root)
    result = scan(project, tables=["customers"])
    by_column = {f.column: f for f in result.findings}
    assert "phone" not in by_column  # not_pii: suppressed
    assert by_column["email"].status == "acknowledged"  # pii: known, recorded, no alert
    assert by_column["last_name"].status == "detected"  # the bad entry did not apply
    assert len(result.problems) == 3  # bad status; missing column + unknown key
    new = {(f.column, f.entity) for f in result.new_findings}
    assert new == {("first_name", "PERSON"), ("last_name", "PERSON")}
    result.schedule = "shop_daily"
    events = result.events()
    assert [e.type for e in events] == ["pii_detected"]
    assert "last_name" in events[0].to_json() and "PERSON" in events[0].to_json()
    second = scan(project, tables=["customers"])
    assert second.new_findings == []
    assert second.events() == []
