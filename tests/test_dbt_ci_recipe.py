"""The README's "dbt CI" recipe, followed on a small dbt project written by someone else (seeds, a hard-coded profile
path, no dango scaffolding): adopt it with `dango init --dbt-project`, export the committed drift baseline from the
developer's warehouse, and run `dbt build` in "CI" on a fresh database. A clean change is green; a change that plants
a breaking drift, an email column and a collapsing segment is red, and each failure names its culprit."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import REPO

PACKAGE = REPO / "dbt_packages" / "dango_monitors"
AS_OF = "2026-11-01 06:00:00"

DBT_PROJECT = """\
name: acme
version: "2.3.0"
config-version: 2
profile: acme
model-paths: ["models"]
seed-paths: ["seeds"]
models:
  acme:
    +materialized: table
seeds:
  acme:
    raw_orders:
      +column_types: {id: integer, status: varchar, amount: "decimal(10,2)", created_at: timestamp}
"""

PROFILES = """\
acme:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {dev}
      threads: 1
    ci:
      type: duckdb
      path: {ci}
      threads: 1
"""

SCHEMA_YML = """\
version: 2
models:
  - name: stg_orders
    data_tests:
      - dango_monitors.no_breaking_schema_drift
      - dango_monitors.metric_within_baseline:
          arguments:
            monitor: orders_per_day
            value_expression: count(*)
            time_column: created_at
            drill_down: [status]
            as_of: "{as_of}"
  - name: stg_customers
    data_tests:
      - dango_monitors.no_breaking_schema_drift
      - dango_monitors.no_unexpected_pii
    columns:
      - name: full_name
        meta: {{pii: [PERSON]}}
"""

STG_ORDERS = "select id, status, amount, created_at from {{ ref('raw_orders') }}\n"
STG_ORDERS_NARROWED = "select id, status, cast(amount as integer) as amount, created_at from {{ ref('raw_orders') }}\n"
STG_CUSTOMERS = "select id, full_name, country from {{ ref('raw_customers') }}\n"
STG_CUSTOMERS_EMAIL = "select id, full_name, country, email from {{ ref('raw_customers') }}\n"

FIRST = ["Anna", "Jonas", "Lea", "Marco", "Sofia", "Pieter", "Emma", "Lukas", "Clara", "Mateo"]
LAST = ["Schmidt", "Rossi", "de Vries", "Garcia", "Novak", "Dubois", "Larsen", "Silva", "Weber", "Costa"]


def _orders_csv(collapse: bool) -> str:
    """56 days of orders: ~20 paid and ~10 refunded a day; with `collapse`, no refund on the last day."""
    start = dt.datetime(2026, 9, 6, 8, 0)
    lines, n = ["id,status,amount,created_at"], 0
    for day in range(56):
        counts = {"paid": 20 + (day * 7) % 5 - 2, "refunded": 10 + (day * 3) % 3 - 1}
        if collapse and day == 55:
            counts["refunded"] = 0
        for status, count in counts.items():
            for i in range(count):
                n += 1
                at = start + dt.timedelta(days=day, minutes=13 * i + (7 if status == "refunded" else 0))
                lines.append(f"{n},{status},{10 + n % 17}.50,{at:%Y-%m-%d %H:%M:%S}")
    return "\n".join(lines) + "\n"


def _customers_csv(with_email: bool) -> str:
    lines = ["id,full_name,country" + (",email" if with_email else "")]
    for i in range(60):
        first, last = FIRST[i % 10], LAST[(i * 3) % 10]
        email = f",{first.lower()}.{last.lower().replace(' ', '')}{i}@example.org" if with_email else ""
        lines.append(f"{i + 1},{first} {last},{['DE', 'NL', 'IT'][i % 3]}{email}")
    return "\n".join(lines) + "\n"


def _dango(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "dango"), *args], cwd=cwd, capture_output=True, text=True)


def _dbt(project: Path, *args: str) -> tuple[Any, list[str]]:
    """dbt in-process, as the user runs it (no dango environment); returns the result and the logged lines."""
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def keep(event: Any) -> None:
        lines.append(event.info.msg)

    from airflow_provider_dango.warehouse.duckdb import close_dbt_duckdb

    try:
        result = dbtRunner(callbacks=[keep]).invoke(
            [*args, "--project-dir", str(project), "--profiles-dir", str(project)]
        )
    finally:
        close_dbt_duckdb()  # dbt-duckdb keeps the file open in this process; a user's dbt process would exit
    return result, lines


def _statuses(result: Any) -> dict[str, str]:
    return {r.node.name: str(r.status) for r in result.result if r.node.resource_type == "test"}


def _failures(warehouse: Path, result: Any, test_prefix: str) -> list[str]:
    """The `reason` column of a test's stored failures (`dbt build --store-failures` names the table)."""
    [relation] = [r.node.relation_name for r in result.result if r.node.name.startswith(test_prefix)]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute(f"SELECT reason FROM {relation}").fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The repository of a team that owns a dbt project `acme/`, adopted by dango, with the baseline exported."""
    repo = tmp_path_factory.mktemp("acme_repo")
    project = repo / "acme"
    (project / "models").mkdir(parents=True)
    (project / "seeds").mkdir()
    dev, ci = repo / "warehouse" / "dev.duckdb", repo / "warehouse" / "ci.duckdb"
    dev.parent.mkdir()
    (project / "dbt_project.yml").write_text(DBT_PROJECT, encoding="utf-8")
    (project / "profiles.yml").write_text(PROFILES.format(dev=dev, ci=ci), encoding="utf-8")
    (project / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
    (project / "models" / "schema.yml").write_text(SCHEMA_YML.format(as_of=AS_OF), encoding="utf-8")
    (project / "models" / "stg_orders.sql").write_text(STG_ORDERS, encoding="utf-8")
    (project / "models" / "stg_customers.sql").write_text(STG_CUSTOMERS, encoding="utf-8")
    (project / "seeds" / "raw_orders.csv").write_text(_orders_csv(collapse=False), encoding="utf-8")
    (project / "seeds" / "raw_customers.csv").write_text(_customers_csv(with_email=False), encoding="utf-8")
    assert _dbt(project, "deps", "--quiet")[0].success
    before = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if "dbt_packages" not in p.parts)

    # Recipe step 1: adopt the project (no dbt/ scaffold), then build on the developer's warehouse.
    adopted = _dango("init", str(repo), "--dbt-project", str(project), "--force", cwd=repo)
    assert adopted.returncode == 0, adopted.stderr
    created = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if "dbt_packages" not in p.parts)
    assert not (repo / "dbt").exists()
    assert sorted(set(created) - set(before)) == [
        ".dango",
        ".dango/project.yml",
        ".dango/schedules.yml",
        ".dango/sources.yml",
        "dags",
        "dags/dango_dags.py",
    ]
    result, _ = _dbt(project, "build")
    assert result.success, _statuses(result)
    # Recipe step 2: export the accepted baselines (the first build stored them) and commit them.
    exported = _dango("drift", "baseline", "export", "--project-dir", str(repo), cwd=repo)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return {"repo": repo, "project": project, "dev": dev, "ci": ci}


def _ci_build(acme: dict[str, Path]) -> tuple[Any, list[str]]:
    """What CI runs: a fresh database, the committed baseline, failing rows stored."""
    acme["ci"].unlink(missing_ok=True)
    return _dbt(
        acme["project"], "build", "--target", "ci", "--store-failures", "--vars", "{dango_drift_compare_to: committed}"
    )


def test_adoption_respects_the_profile_and_adds_nothing_to_dbt_build(acme: dict[str, Path]) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.warehouse import for_project

    project = load_project(acme["repo"])
    assert not project.problems, project.problems
    assert for_project(project).path == acme["dev"]  # the project's own hard-coded dev path, not dango's default
    con = duckdb.connect(str(acme["dev"]), read_only=True)
    try:
        views = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'vw_%'").fetchall()
    finally:
        con.close()
    assert views == []  # the package's audit views are opt-in


def test_committed_baseline_files(acme: dict[str, Path]) -> None:
    import yaml

    doc = yaml.safe_load((acme["repo"] / ".dango" / "drift_baseline.yml").read_text(encoding="utf-8"))
    tables = {(t["schema"], t["table"]): t for t in doc["tables"]}
    assert doc["version"] == 1
    orders = tables[("main", "stg_orders")]
    assert [(c["name"], c["type"]) for c in orders["columns"]] == [
        ("id", "INTEGER"),
        ("status", "VARCHAR"),
        ("amount", "DECIMAL(10,2)"),
        ("created_at", "TIMESTAMP"),
    ]
    seed = (acme["project"] / "seeds" / "dango_drift_baseline.csv").read_text(encoding="utf-8").splitlines()
    assert seed[0] == "table_schema,table_name,column_name,ordinal_position,data_type,is_nullable"
    assert 'main,stg_orders,amount,3,"DECIMAL(10,2)",YES' in seed


def test_ci_is_green_on_a_clean_change_and_red_on_each_planted_problem(acme: dict[str, Path]) -> None:
    project = acme["project"]
    clean, _ = _ci_build(acme)
    assert clean.success, _statuses(clean)
    assert set(_statuses(clean).values()) == {"pass"}

    (project / "models" / "stg_orders.sql").write_text(STG_ORDERS_NARROWED, encoding="utf-8")
    (project / "models" / "stg_customers.sql").write_text(STG_CUSTOMERS_EMAIL, encoding="utf-8")
    (project / "seeds" / "raw_customers.csv").write_text(_customers_csv(with_email=True), encoding="utf-8")
    (project / "seeds" / "raw_orders.csv").write_text(_orders_csv(collapse=True), encoding="utf-8")
    planted, log = _ci_build(acme)
    assert not planted.success
    statuses = _statuses(planted)
    failed = sorted(name for name, status in statuses.items() if status == "fail")
    assert [n.split("_stg_")[0] for n in failed] == [
        "dango_monitors_metric_within_baseline",
        "dango_monitors_no_breaking_schema_drift",
        "dango_monitors_no_unexpected_pii",
    ], statuses
    assert statuses["dango_monitors_no_breaking_schema_drift_stg_customers_"] == "pass"  # email added: additive

    drift = _failures(acme["ci"], planted, "dango_monitors_no_breaking_schema_drift_stg_orders")
    assert drift == [
        "main.stg_orders.amount: type_changed (DECIMAL(10,2) -> INTEGER): narrowing or another type family"
    ]
    pii = _failures(acme["ci"], planted, "dango_monitors_no_unexpected_pii_stg_customers")
    assert len(pii) == 1 and pii[0].startswith("email holds EMAIL_ADDRESS"), pii
    assert "@example.org" not in pii[0]  # masked
    monitor = _failures(acme["ci"], planted, "dango_monitors_metric_within_baseline_stg_orders")
    assert any("status" in r and "refunded" in r for r in monitor), monitor
    # dbt's own output names the segment too, not only "Got N results".
    assert any("refunded" in line for line in log), "\n".join(log[-30:])
