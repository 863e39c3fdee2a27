"""Schema drift on a PostgreSQL warehouse, as a team that moved off DuckDB meets it: the demo synced into
PostgreSQL, a column narrowed by someone with psql, then `dango drift check` (exit 1, the change named in
PostgreSQL's type names), a DAG run whose dbt task builds nothing behind the blocked source, `dango drift accept`,
and a clean run after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.drift.test_dag_blocking import _states, _xcom
from tests.services.postgres import demo_on_postgres

SCHEDULES = """schedules:
  - name: nightly
    type: sync
    cron: daily
    sources: [shop]
    retries: 0
    dbt_tasks: single
"""


def _cli_json(capsys: pytest.CaptureFixture, root: Path, *argv: str) -> tuple[int, dict]:
    from airflow_provider_dango.cli import main

    capsys.readouterr()
    code = main([*argv, "--json", "--project-dir", str(root)])
    return code, json.loads(capsys.readouterr().out)


def test_breaking_drift_blocks_dbt_on_postgres_until_accepted(
    shop_project: Path, airflow_db: Path, postgres_db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from airflow_provider_dango.cli import main
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.warehouse import for_project

    (shop_project / ".dango" / "schedules.yml").write_text(SCHEDULES, encoding="utf-8")
    wh = for_project(demo_on_postgres(shop_project, postgres_db, monkeypatch, airflow_db))
    dag = build_dags(shop_project)["dango_nightly"]

    first = dag.test()  # sync, first sight of raw_shop (baselines stored), dbt builds everything
    assert str(first.state) == "success", _states(first)
    assert sorted(_xcom(first, "schema_drift")["baselined"]) == ["raw_shop.customers", "raw_shop.orders"]

    # PostgreSQL refuses to retype a column a view reads, so the owner drops the staging view first, as one would.
    wh.execute("DROP VIEW staging.stg_orders CASCADE")
    wh.execute("ALTER TABLE raw_shop.orders ALTER COLUMN customer_id TYPE integer")
    code, report = _cli_json(capsys, shop_project, "drift", "check")
    assert code == 1, report
    assert report["blocked_sources"] == ["shop"]
    [change] = report["changes"]
    assert (change["table"], change["column"], change["change"], change["severity"]) == (
        "raw_shop.orders",
        "customer_id",
        "type_changed",
        "breaking",
    )
    assert (change["old_type"].lower(), change["new_type"].lower()) == ("bigint", "integer")

    built_before = wh.rows("SELECT count(*) FROM marts.fct_orders")[0][0]
    # New orders arrive while the change is unaccepted: the sync loads them, dbt must not build over the change
    # (dlt narrows nothing: it loads into the column as it is).
    blocked = dag.test()
    states = _states(blocked)
    gate = _xcom(blocked, "schema_drift")
    assert gate["blocked_sources"] == ["shop"]
    assert gate["skipped_models"] == ["daily_revenue", "dim_customers", "fct_orders", "stg_customers", "stg_orders"]
    # Every model reads the blocked source, so the one dbt task has nothing left to build: skipped, not run.
    assert states["schema_drift"] == "success" and states["dbt_build"] == "skipped", states
    assert states["sync_shop"] == "success", states
    assert wh.rows("SELECT count(*) FROM marts.fct_orders")[0][0] == built_before
    assert (
        wh.rows(
            "SELECT count(*) FROM dango.dango_audit_dbt_results WHERE run_id = ? AND resource_type = 'model'",
            [blocked.run_id],
        )[0][0]
        == 0
    )

    assert main(["drift", "accept", "shop", "--project-dir", str(shop_project)]) == 0
    code, report = _cli_json(capsys, shop_project, "drift", "check")
    assert (code, report["changes"], report["blocked_sources"]) == (0, [], [])
    after = dag.test()
    states = _states(after)
    assert str(after.state) == "success", states
    built = _xcom(after, "dbt_build")
    assert built["skipped_by_drift"] == []
    assert {uid.split(".")[-1] for uid in built["results"] if uid.startswith("model.")} >= {"fct_orders", "stg_orders"}
