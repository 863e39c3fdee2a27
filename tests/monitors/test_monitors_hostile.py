"""Issue 16 items 2 and 8 on the SQL side, on DuckDB and PostgreSQL: names from monitors.yml are only ever quoted
identifiers (a `drop table` payload in a table name stays a name), value_expression / filter are one expression, and
drill-down values of PII columns are masked wherever they are stored or logged."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.monitors.dual import DualProject, quote
from tests.monitors.test_monitors_segments import AS_OF, END

PAYLOAD = 'o"; drop table victim; --'
HOSTILE = [("raw", PAYLOAD), ('we"ird', 'a"b'), ("raw", "t{{ x }}\nnew line"), ("raw", "dotted.name")]
COLUMNS = [("id", "integer"), ('st"at;us', "varchar"), ("created_at", "timestamp")]


def steady_rows() -> list[tuple]:
    rows = []
    for back in range(60, -1, -1):
        day = dt.datetime.combine(END - dt.timedelta(days=back), dt.time(10))
        rows += [(len(rows) + i, "ab"[i % 2], day) for i in range(10)]
    return rows


def source_table(schema: str, table: str) -> str:
    """monitors.yml spelling: a part with a dot is written in double quotes (SQL style); others as they are."""
    return ".".join(quote(p) if "." in p else p for p in (schema, table))


@pytest.fixture(params=["duckdb", "postgres"])
def project(request, tmp_path):
    pg = request.getfixturevalue("postgres_db") if request.param == "postgres" else None
    p = DualProject(tmp_path / "hostile", request.param, pg)
    home = "main" if p.target == "duckdb" else "public"
    p.load(home, "victim", [("id", "integer")], [(1,)])
    for schema, table in HOSTILE:
        p.load(schema, table, COLUMNS, steady_rows())
    return p


def victim_exists(p: DualProject) -> bool:
    home = "main" if p.target == "duckdb" else "public"
    return bool(p.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'victim'", [home]
    )[0][0])


def test_hostile_table_and_column_names_are_names(project):
    monitors = [
        {"name": f"m{i}", "source_table": source_table(schema, table), "value_expression": "count(*)",
         "time_column": "created_at", "drill_down": ['st"at;us']}
        for i, (schema, table) in enumerate(HOSTILE)
    ]
    project.run_monitors(monitors, AS_OF)
    assert victim_exists(project)
    rows = project.results()
    totals = {r["monitor"]: r for r in rows if r["dimension"] == "__total__"}
    assert {m: (r["monitor_status"], r["value"]) for m, r in totals.items()} == {
        f"m{i}": ("normal", 10) for i in range(len(HOSTILE))
    }
    assert {r["dimension_value"] for r in rows if r["dimension"] == 'st"at;us'} == {"a", "b"}


@pytest.mark.parametrize("key, sql", [
    ("value_expression", "count(*)); drop table victim; select (1"),
    ("filter", "true); drop table victim; select (1"),
    ("value_expression", "count(*) -- ignore the rest"),
    ("filter", "status = E'\\'' ; drop table victim; select '"),
])
def test_value_expression_and_filter_are_one_expression(project, key, sql):
    monitor = {"name": "bad", "source_table": "raw.dotted", "value_expression": "count(*)",
               "time_column": "created_at", key: sql}
    project.load("raw", "dotted", COLUMNS, steady_rows())
    result, out = project.run_monitors([monitor], AS_OF, ok=False)
    assert not result.success
    assert f"monitor bad: {key} contains" in out + str(result.exception)
    assert victim_exists(project)


def test_pii_drill_down_values_are_masked_everywhere(project):
    emails = [f"person{i}@example.com" for i in range(5)]
    rows = []
    for back in range(60, -1, -1):
        day = dt.datetime.combine(END - dt.timedelta(days=back), dt.time(9))
        rows += [(len(rows) + i, emails[i % 5], f"+4930123456{i % 3}", day) for i in range(10)]
    cols = [("id", "integer"), ("email", "varchar"), ("phone", "varchar"), ("created_at", "timestamp")]
    project.load("raw", "people", cols, rows)
    (project.root / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: people\n"
        "        columns:\n          - name: email\n            meta: {pii: [EMAIL_ADDRESS]}\n"
    )
    # A recorded finding (as `dango pii scan` writes it) makes phone PII too.
    project.execute("create schema if not exists dango")
    project.execute("create table dango.dango_pii_findings (table_name varchar, column_name varchar, entity varchar)")
    project.execute("insert into dango.dango_pii_findings values ('raw.people', 'phone', 'PHONE_NUMBER')")
    monitor = {"name": "people_rows", "source_table": "raw.people", "value_expression": "count(*)",
               "time_column": "created_at", "drill_down": ["email", "phone"], "max_dimension_values": 3}
    project.run_monitors([monitor], AS_OF)
    history = project.execute("select distinct dimension, dimension_value from dango.dango_metric_history")
    reasons = project.execute("select distinct dimension, coalesce(reason, '') from dango.dango_monitor_results")
    stored = history + reasons
    values = {v for d, v in stored if d in ("email", "phone")}
    assert any(v.startswith("pii:") for v in values) and "other" in values  # masked, and the cap still folds
    text = json.dumps(stored) + "".join(p.read_text() for p in (project.root / "logs").glob("*.log"))
    assert "example.com" not in text and "+4930" not in text
    # The same value keeps the same token from bucket to bucket (so its segment still has a baseline).
    assert len({v for d, v in history if d == "email"}) == 4  # 3 kept + other
