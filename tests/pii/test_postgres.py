"""The PII pillar on PostgreSQL: same detectors, same verdicts and a real random sample, side by side with DuckDB.

Each test runs real dbt against a real PostgreSQL server (fixture `postgres_server`) and a DuckDB file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.pii.test_detectors import INVALID, VALID
from tests.pii.warehouses import WarehouseProject


@pytest.fixture(scope="module")
def pg_project(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> WarehouseProject:
    from tests.services.postgres import create_database

    db = create_database(postgres_server, "pii_pg")
    return WarehouseProject(tmp_path_factory.mktemp("pii_pg") / "p", "postgres", db)


@pytest.fixture(scope="module")
def duck_project(tmp_path_factory: pytest.TempPathFactory) -> WarehouseProject:
    return WarehouseProject(tmp_path_factory.mktemp("pii_duck") / "p", "duckdb")


def _detect(project: WarehouseProject, values: list[str]) -> dict[str, set[str]]:
    sql = project.compile("{{ dango_monitors.pii_value_entities('v') }}")
    if project.kind == "postgres":
        literal = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
        rows = project.query(f"select v, {sql} from unnest(array[{literal}]::text[]) as t(v)")
    else:
        rows = project.query(f"select v, {sql} from unnest(?::varchar[]) as t(v)", [values])
    return {v: set(filter(None, found.split(","))) for v, found in rows}


def test_every_detector_gives_the_same_answer_on_postgres(pg_project, duck_project) -> None:
    values = [v for vs in (*VALID.values(), *INVALID.values()) for v in vs]
    on_pg, on_duck = _detect(pg_project, values), _detect(duck_project, values)
    assert on_pg == on_duck
    for entity, vs in VALID.items():
        assert all(entity in on_pg[v] for v in vs), entity
    for entity, vs in INVALID.items():
        assert not any(entity in on_pg[v] for v in vs), entity


SCHEMA = 'raw "shop" 2'
TABLE = "Kunden select"


def _people(n: int) -> list[tuple]:
    rng = random.Random(5)
    first = ["Anna", "Jürgen", "Zoé", "Mateo", "Sofia", "Lars", "Agnieszka", "João"]
    last = ["Schmidt", "van der Berg", "Dubois-Martin", "García", "Rossi", "Nowak", "Andersson", "Silva"]
    rows = []
    for i in range(n):
        rows.append((
            f"{rng.choice(first)}",
            f"{rng.choice(last)}",
            f"user{i}@example.org",
            f"+49 151 {rng.randint(1000000, 9999999)}",
            f"{rng.randint(33, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
            f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"{rng.randint(1, 999)} {rng.choice(['Main Street', 'rue de la Paix', 'Hauptstraße'])}",
            f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 40)}",
            f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            rng.choice(["completed", "refunded", "pending"]),
            "call me at anna@example.com please" if i % 10 == 0 else "leave at the door",
        ))
    return rows


COLUMNS = ["first_name", "last_name", "email", "phone", "client_ip", "date_of_birth", "address", "app_version",
           "order_no", "status", "notes"]


def _load_people(project: WarehouseProject, rows: list[tuple]) -> None:
    q = project.compile("{{ dango_monitors.quote_ident('" + SCHEMA.replace("'", "\\'") + "') }}").strip()
    t = project.compile("{{ dango_monitors.quote_ident('" + TABLE + "') }}").strip()
    cols = ", ".join(f"{c} varchar" for c in COLUMNS)
    project.execute(f"drop schema if exists {q} cascade", f"create schema {q}", f"create table {q}.{t} ({cols})")
    con = project.connect()
    try:
        mark = "%s" if project.kind == "postgres" else "?"
        con.cursor().executemany(f"insert into {q}.{t} values ({', '.join([mark] * len(COLUMNS))})", rows)
        if project.kind == "duckdb":
            con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("full", [True, False])
def test_scan_verdicts_match_duckdb(pg_project, duck_project, full: bool) -> None:
    rows = _people(3000)
    for p in (pg_project, duck_project):
        _load_people(p, rows)
    run = f"same_{full}"
    on_pg = pg_project.scan(run, schemas=[SCHEMA], full=full)
    on_duck = duck_project.scan(run, schemas=[SCHEMA], full=full)
    label = f"{SCHEMA}.{TABLE}"
    expected = {
        (label, "first_name", "PERSON", "full"), (label, "last_name", "PERSON", "full"),
        (label, "email", "EMAIL_ADDRESS", "full"), (label, "phone", "PHONE_NUMBER", "full"),
        (label, "client_ip", "IP_ADDRESS", "full"), (label, "date_of_birth", "DATE_OF_BIRTH", "full"),
        (label, "address", "STREET_ADDRESS", "full"), (label, "notes", "EMAIL_ADDRESS", "contains"),
    }
    assert {r[:4] for r in on_duck} == expected
    assert {r[:4] for r in on_pg} == expected  # no IP in app_version, no SSN in order_no, on both
    if full:  # the same rows are read: the same prevalences
        assert [r[:5] for r in on_pg] == [r[:5] for r in on_duck]


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_sample_is_random_not_the_oldest_rows(kind: str, pg_project, duck_project) -> None:
    """30,000 rows, emails only in the newest half: a sample sees them in about half its rows, reproducibly."""
    project = pg_project if kind == "postgres" else duck_project
    series = "generate_series(1, 15000) as g(i)" if kind == "postgres" else "range(1, 15001) as g(i)"
    project.execute(
        "drop schema if exists halves cascade",
        "create schema halves",
        "create table halves.contacts (id integer, email varchar)",
        f"insert into halves.contacts select i, 'no address given' from {series}",
        f"insert into halves.contacts select 15000 + i, 'user' || cast(i as varchar) || '@example.org' from {series}",
    )
    first = project.scan("halves1", schemas=["halves"])
    again = project.scan("halves2", schemas=["halves"])
    assert [r[:4] for r in first] == [("halves.contacts", "email", "EMAIL_ADDRESS", "full")]
    assert 0.45 <= first[0][4] <= 0.55, first
    assert first[0][4] == again[0][4]  # same table, same seed: the same sample
    sizes = project.query("select sample_size from dango.dango_pii_findings where run_id = 'halves1'")
    assert sizes == [(10000,)]


def test_generic_test_on_postgres_names_the_column_and_errors_on_a_missing_relation(
    postgres_server, tmp_path: Path
) -> None:
    from tests.services.postgres import create_database

    db = create_database(postgres_server, "pii_pg_test")
    models = {
        "people.sql": "select 'user' || cast(i as varchar) || '@example.org' as email, 'active' as status "
                      "from generate_series(1, 200) as g(i)",
        "people_declared.sql": "select * from {{ ref('people') }}",
        "schema.yml": (
            "version: 2\nmodels:\n"
            "  - name: people\n    data_tests: [dango_monitors.no_unexpected_pii]\n"
            "  - name: people_declared\n    data_tests: [dango_monitors.no_unexpected_pii]\n"
            "    columns:\n      - name: email\n        meta: {pii: [EMAIL_ADDRESS]}\n"
        ),
    }
    project = WarehouseProject(tmp_path / "p", "postgres", db, models=models)
    project.invoke(["--quiet", "run"])
    result = project.invoke(["test", "--store-failures"], check=False)
    status = {r.node.attached_node: (r.status, r.failures) for r in result.result.results}
    assert status["model.pii_wh.people"] == ("fail", 1)
    assert status["model.pii_wh.people_declared"] == ("pass", 0)
    reasons = project.query(
        "select reason from public_dbt_test__audit.dango_monitors_no_unexpected_pii_people_"
    )
    assert reasons and reasons[0][0].startswith("email holds EMAIL_ADDRESS in 100% of 200 sampled values (e.g. u***@")

    project.execute("drop view public.people_declared")
    result = project.invoke(["test", "--select", "people_declared"], check=False)
    errors = [r for r in result.result.results if r.status == "error"]
    assert errors and "people_declared" in errors[0].message and "does not exist" in errors[0].message
