"""`dango monitors run` as a hostile user or odd data would drive it: a `drop table` payload in a table name stays a
name (issue 16 item 2), NaN / infinity / NULL never judge `normal` and the JSON is strict (issue 16 item 7)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from airflow_provider_dango.cli import main
from tests.monitors.conftest import AS_OF, TEST_DAY, write_monitors, write_table

PAYLOAD = 'o"; drop table victim; --'


def strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def daily(values_today: list, days: int = 60) -> list[tuple]:
    """20 rows a day of amount 1.0; the day under test gets `values_today` instead."""
    rows = []
    for back in range(days, -1, -1):
        day = dt.datetime.combine(TEST_DAY - dt.timedelta(days=back), dt.time(12))
        for v in (values_today if back == 0 else [1.0] * 20):
            rows.append((len(rows), v, day))
    return rows


def test_drop_table_payload_in_a_table_name_is_only_a_name(mini, capsys):
    warehouse = mini / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.victim as select 1 as id")
        con.execute(f'create table raw_mini."{PAYLOAD.replace(chr(34), chr(34) * 2)}" '
                    "(id integer, amount double, created_at timestamp)")
    write_table(warehouse, "raw_mini", "plain", daily([1.0] * 20), "id INTEGER, amount DOUBLE, created_at TIMESTAMP")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f'insert into raw_mini."{PAYLOAD.replace(chr(34), chr(34) * 2)}" select * from raw_mini.plain')
    write_monitors(mini, "monitors:\n  - name: hostile\n    source_table: " + json.dumps("raw_mini." + PAYLOAD)
                   + "\n    value_expression: count(*)\n    time_column: created_at\n")
    assert main(["monitors", "run", "--json", "--as-of", AS_OF, "--project-dir", str(mini)]) == 0
    result = strict_json(capsys.readouterr().out)["results"][0]
    assert (result["status"], result["value"]) == ("normal", 20)
    from airflow_provider_dango.warehouse import connect

    with connect(warehouse, read_only=True) as con:  # dbt (in-process) may still hold the file open
        assert con.execute("select count(*) from main.victim").fetchone() == (1,)


def test_nan_infinity_and_null_are_never_normal_and_json_is_strict(mini, capsys):
    warehouse = mini / "data" / "warehouse.duckdb"
    ddl = "id INTEGER, amount DOUBLE, created_at TIMESTAMP"
    write_table(warehouse, "raw_mini", "with_nan", daily([float("nan")] + [1.0] * 19), ddl)
    write_table(warehouse, "raw_mini", "with_inf", daily([float("inf")] + [1.0] * 19), ddl)
    write_table(warehouse, "raw_mini", "all_null", daily([None] * 20), ddl)
    write_monitors(mini, "monitors:\n" + "".join(
        f"  - name: {t}\n    source_table: raw_mini.{t}\n    value_expression: sum(amount)\n"
        "    time_column: created_at\n"
        for t in ["with_nan", "with_inf", "all_null"]
    ))
    main(["monitors", "run", "--json", "--as-of", AS_OF, "--project-dir", str(mini)])
    results = {r["name"]: r for r in strict_json(capsys.readouterr().out)["results"]}
    for name in ["with_nan", "with_inf"]:
        assert results[name]["status"] == "error"
        assert results[name]["value"] is None
        assert "NaN or infinite" in results[name]["error"]
    assert results["all_null"]["status"] == "insufficient_history"
    assert results["all_null"]["value"] is None  # not 0.00


def test_a_monitor_error_exits_non_zero_with_the_database_message(mini, capsys):
    """Issue 16 item 5: an `error` is not a pass, and it says what the database said (the SQL binds, so the probe
    passes it; it fails while dbt runs it)."""
    write_monitors(mini, "monitors:\n  - name: broken\n    source_table: raw_mini.orders\n"
                   "    value_expression: sum(cast(currency as integer))\n    time_column: created_at\n")
    assert main(["monitors", "run", "--json", "--as-of", AS_OF, "--project-dir", str(mini)]) == 1
    result = strict_json(capsys.readouterr().out)["results"][0]
    assert result["status"] == "error"
    assert "Could not convert string 'EUR' to INT32" in result["error"], result["error"]
    assert "--args" not in result["error"] and "run-operation" not in result["error"]
