"""`dango_monitors.profile_run` on DuckDB (the demo shop) and on a real PostgreSQL: the numbers a user would check by
hand, masking of PII columns, and history (each run appends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_dango.config import load_project
from airflow_provider_dango.profile import run_step
from airflow_provider_dango.steps import Scope
from airflow_provider_dango.warehouse import for_project
from tests.conftest import REPO

PACKAGE = REPO / "dbt_packages" / "dango_monitors"


def _profiles(con, run_id: str) -> dict[tuple[str, str], dict]:
    cur = con.execute("SELECT * FROM dango.dango_column_profiles WHERE run_id = ?", [run_id])
    names = [d[0] for d in cur.description]
    return {
        (r["table_name"], r["column_name"]): r for r in (dict(zip(names, row, strict=True)) for row in cur.fetchall())
    }


def test_duckdb_profiles_match_hand_queries_and_mask_pii(catalog_shop: Path) -> None:
    project = load_project(catalog_shop)
    result = run_step(project, Scope(tables=["raw_shop.orders", "raw_shop.customers", "marts.dim_customers"]))
    assert result.relations == ["marts.dim_customers", "raw_shop.customers", "raw_shop.orders"]
    with for_project(project).connect(read_only=True) as con:
        p = _profiles(con, result.run_id)
        n, nulls, lo, hi, mean = con.execute(
            "SELECT count(*), count(*) - count(notes), min(amount), max(amount), avg(amount) FROM raw_shop.orders"
        ).fetchone()
        lens = con.execute("SELECT min(length(country)), max(length(country)) FROM raw_shop.customers").fetchone()
        history = con.execute(
            "SELECT count(DISTINCT run_id) FROM dango.dango_column_profiles WHERE table_name = 'raw_shop.orders'"
        ).fetchone()[0]
    notes = p[("raw_shop.orders", "notes")]
    assert notes["row_count"] == n and notes["null_count"] == nulls
    assert notes["null_share"] == pytest.approx(nulls / n)
    amount = p[("raw_shop.orders", "amount")]
    assert (float(amount["min_value"]), float(amount["max_value"])) == (
        pytest.approx(float(lo)),
        pytest.approx(float(hi)),
    )
    assert float(amount["mean_value"]) == pytest.approx(float(mean))
    assert float(amount["p25"]) <= float(amount["p50"]) <= float(amount["p75"])
    country = p[("raw_shop.customers", "country")]
    assert (country["min_length"], country["max_length"]) == lens
    assert country["distinct_count"] == 6 and set(json.loads(country["top_values"])) <= {
        "DE",
        "FR",
        "IT",
        "ES",
        "GB",
        "US",
    }
    # PII: found by the scan (raw_shop.customers.email, notes with emails inside) and inherited downstream by name.
    for key in [("raw_shop.customers", "email"), ("raw_shop.orders", "notes"), ("marts.dim_customers", "first_name")]:
        assert p[key]["masked"] is True and p[key]["top_values"] is None and p[key]["min_value"] is None, key
    created = p[("raw_shop.orders", "created_at")]
    assert created["kind"] == "date" and created["min_value"] < created["p50"] < created["max_value"]
    assert history >= 2  # the fixture's run and this one: profiles keep history


PG_PROJECT = """
name: pg_profile
version: '1.0'
config-version: 2
profile: pg_profile
"""


def test_postgres_profile(postgres_db, tmp_path: Path) -> None:
    import psycopg2
    from dbt.cli.main import dbtRunner

    server = postgres_db
    con = psycopg2.connect(
        host=server.host, port=server.port, user=server.user, password=server.password, dbname=server.dbname
    )
    con.autocommit = True
    cur = con.cursor()
    cur.execute(
        'CREATE SCHEMA shop; CREATE TABLE shop."Odd ""Table""" (id integer, amount numeric(10,2), '
        "day date, email text, note varchar(20), ok boolean, payload json)"
    )
    cur.execute(
        'INSERT INTO shop."Odd ""Table""" SELECT g, g * 1.5, date \'2026-01-01\' + g, '
        "'user' || g || '@example.com', CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || (g % 3) END, g % 2 = 0, "
        "'{}'::json FROM generate_series(1, 200) g"
    )
    # A one-column table: its single profile row takes the portable `union all` form, not the unnested arrays.
    cur.execute("CREATE TABLE shop.one (v integer); INSERT INTO shop.one VALUES (1), (2), (NULL)")
    root = tmp_path / "dbt"
    root.mkdir()
    (root / "dbt_project.yml").write_text(PG_PROJECT, encoding="utf-8")
    (root / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
    (root / "profiles.yml").write_text(
        f"pg_profile:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: {server.host}\n"
        f"      port: {server.port}\n      user: {server.user}\n      password: '{server.password}'\n"
        f"      dbname: {server.dbname}\n      schema: public\n      threads: 1\n",
        encoding="utf-8",
    )

    def dbt(*args: str) -> None:
        res = dbtRunner().invoke([*args, "--project-dir", str(root), "--profiles-dir", str(root)])
        assert res.success, res.exception

    dbt("deps", "--quiet")
    args = {"run_id": "pg1", "relations": ['shop.Odd "Table"', "shop.one"], "masked": ['shop.Odd "Table".email']}
    dbt("run-operation", "dango_monitors.profile_run", "--args", json.dumps(args))
    cur.execute(
        "SELECT column_name, row_count, null_count, min_value, max_value, min_length FROM dango.dango_column_profiles "
        "WHERE run_id = 'pg1' AND table_name = 'shop.one'"
    )
    assert cur.fetchall() == [("v", 3, 1, "1", "2", None)]
    cur.execute(
        "SELECT column_name, kind, row_count, null_count, distinct_count, distinct_approx, min_value, "
        "max_value, mean_value, p50, min_length, max_length, top_values, masked "
        "FROM dango.dango_column_profiles WHERE run_id = 'pg1' AND table_name <> 'shop.one'"
    )
    p = {r[0]: r[1:] for r in cur.fetchall()}
    assert set(p) == {"id", "amount", "day", "email", "note", "ok", "payload"}
    kind, rows, nulls, distinct, approx, lo, hi, mean, p50, *_ = p["amount"]
    assert (kind, rows, nulls, distinct, approx) == ("number", 200, 0, 200, False)
    assert (float(lo), float(hi), float(mean), float(p50)) == (1.5, 300.0, pytest.approx(150.75), pytest.approx(150.75))
    assert p["day"][0] == "date" and (p["day"][5], p["day"][6]) == ("2026-01-02", "2026-07-20")
    note = p["note"]
    assert (note[2], note[3]) == (50, 3) and (note[9], note[10]) == (2, 2)
    assert sorted(json.loads(note[11])) == ["n0", "n1", "n2"]
    email = p["email"]
    assert (
        email[12] is True and email[11] is None and email[5] is None and (email[9], email[10]) == (17, 19)
    )  # lengths only
    assert p["ok"][0] == "boolean" and sorted(json.loads(p["ok"][11])) == ["false", "true"]
    assert p["payload"][0] == "other" and p["payload"][3] is None
