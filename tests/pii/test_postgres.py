"""The PII pillar on PostgreSQL: same detectors, same verdicts and a real random sample, side by side with DuckDB.

Each test runs real dbt against a real PostgreSQL server (fixture `postgres_server`) and a DuckDB file."""

from __future__ import annotations

import json
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


def _card_like(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(13, 19)))
    return digits if rng.random() < 0.5 else " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def _iban_like(rng: random.Random) -> str:
    """Registered and wrong lengths, letters in the BBAN or not, correct check digits for half of them."""
    country, length = rng.choice([("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("MT", 31), ("NO", 15), ("XX", 20)])
    length += rng.choice([0, 0, 0, -1, 1])
    alphabet = "0123456789" if rng.random() < 0.6 else "0123456789ABCXYZ"
    bban = "".join(rng.choice(alphabet) for _ in range(length - 4))
    as_number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    check = 98 - as_number % 97 if rng.random() < 0.5 else rng.randint(0, 99)
    iban = f"{country}{check:02d}{bban}"
    return iban if rng.random() < 0.7 else " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _phone_like(rng: random.Random) -> str:
    forms = [
        lambda: f"+{rng.randint(1, 99)} {rng.randint(10, 999)} {rng.randint(1000, 99999999)}",
        lambda: f"({rng.randint(10, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        lambda: f"0{rng.randint(1, 9)}{rng.randint(0, 10 ** rng.randint(5, 10))}",
        lambda: f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        lambda: f"{rng.randint(1, 31)}.{rng.randint(1, 12)}.{rng.randint(1900, 2030)}",
        lambda: f"{rng.randint(1, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        lambda: f"{rng.randint(1, 99999)}.{rng.randint(0, 99)}",
        lambda: f"+49 {rng.randint(100, 999)} {rng.randint(100000, 9999999)} {rng.choice(['x', 'ext.', 'ext', '#'])}"
                f"{rng.choice(['', ' '])}{rng.randint(1, 999999)}",
        lambda: f"{rng.randint(1, 9)}{rng.randint(0, 10 ** rng.randint(6, 16))}",
        lambda: f"({rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
    ]
    return rng.choice(forms)()


PHONE_SHAPE = "(?:\\+|\\()?[0-9][0-9 ()./-]{5,22}[0-9](?: ?(?:x|ext\\.?|#) ?[0-9]{1,6})?"


@pytest.mark.parametrize(
    ("validator", "shape", "make", "mentions"),
    [
        ("pii_luhn_valid", "[0-9 ]{13,23}", _card_like, 1),
        ("pii_iban_valid", "[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}", _iban_like, 1),
        # the extension cut (4 mentions) once, and the parenthesis balance on the raw value (2)
        ("pii_phone_valid", PHONE_SHAPE, _phone_like, 6),
    ],
)
def test_postgres_validators_agree_with_the_portable_forms_and_bind_the_value_once(
    pg_project, validator: str, shape: str, make, mentions: int
) -> None:
    """The PostgreSQL forms (faster: the value bound once, no counting regex) must give the portable form's answer
    on every value the detector hands them: generated shape matches, valid and invalid alike."""
    rng = random.Random(12)
    values = sorted({make(rng) for _ in range(3000)})
    value = "replace(replace(t.val, ' ', ''), '-', '')" if validator == "pii_luhn_valid" else "t.val"
    ours = pg_project.compile(f"{{{{ dango_monitors.{validator}(\"{value}\") }}}}")
    portable = pg_project.compile(f"{{{{ dango_monitors.default__{validator}(\"{value}\") }}}}")
    # PostgreSQL shares no common subexpressions: the portable forms recompute the value at every mention (48 times
    # for Luhn), which made the sampled scan 1.7x the hand-written query.
    assert ours.count("t.val") <= mentions < portable.count("t.val")
    literal = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    match = pg_project.compile(f"{{{{ dango_monitors.pii_full_match('t.val', {shape!r}) }}}}")
    rows = pg_project.query(
        f"select t.val, {ours}, {portable} from unnest(array[{literal}]::text[]) as t(val) where {match}"
    )
    assert len(rows) > 1000
    assert sum(1 for _, a, _ in rows if a) > 20  # valid ones are among them, not only rejects
    assert [(v, a) for v, a, b in rows if a != b] == []


def _mixed(n: int) -> list[tuple]:
    """Every path of the verdict query: unhinted full names among place names (the deferred value-based check), a
    hinted column, emails in a sentence, id-like and version-like look-alikes, an all-NULL column and a hostile name."""
    rng = random.Random(9)
    people = ["Anna Schmidt", "Dr. Jürgen van der Berg", "Zoé Dubois-Martin", "García, Mateo", "Lars Andersson"]
    places = ["New York", "Rio de Janeiro", "Acme Holding GmbH", "Main Street Depot"]
    rows = []
    for i in range(n):
        rows.append((
            rng.choice(people) if rng.random() < 0.7 else rng.choice(places),
            rng.choice(["Anna", "Mateo", "Lars"]),
            f"user{i}@example.org",
            f"write to ops{i}@example.com today" if i % 8 == 0 else "nothing to add",
            f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
            None,
            rng.choice(["Berlin", "Paris", "Zoé Dubois", None]),
        ))
    return rows


MIXED_COLUMNS = ["owner", "first_name", "contact", "notes", "order_no", "app_version", "empty", 'Wohnort "Ort" Ä']


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_long_and_wide_layouts_give_the_same_verdicts(kind: str, pg_project, duck_project) -> None:
    """A sample is judged in the long layout, a full scan in the wide one: forced to the other layout, the same rows
    must come out, to the last count and masked example."""
    project = pg_project if kind == "postgres" else duck_project
    # One dbt compile for the quoted names and the four queries (each compile is a dbt start of a few seconds).
    names = "[" + ", ".join(repr(c) for c in MIXED_COLUMNS) + "]"
    compiled = json.loads(project.compile(
        "{%- set q = dango_monitors.quote_ident('mixed \"x\"') -%}{%- set cols = [] -%}"
        f"{{%- for c in {names} %}}{{% do cols.append(dango_monitors.quote_ident(c)) %}}{{% endfor -%}}"
        "{%- set out = {'schema': q, 'cols': cols} -%}"
        "{%- for full in [false, true] %}{% for layout in ['long', 'wide'] %}"
        f"{{% do out.update({{layout ~ full: dango_monitors.pii_verdict_sql(q ~ '.t', 'mixed.t', {names}, full=full, "
        "sample_rows=1500, row_count=4000, layout=layout)}) %}{% endfor %}{% endfor -%}{{ tojson(out) }}"
    ))
    quote, cols = compiled["schema"], compiled["cols"]
    project.execute(f"drop schema if exists {quote} cascade", f"create schema {quote}",
                    f"create table {quote}.t ({', '.join(f'{c} varchar' for c in cols)})")
    con = project.connect()
    try:
        mark = "%s" if kind == "postgres" else "?"
        con.cursor().executemany(f"insert into {quote}.t values ({', '.join([mark] * len(cols))})", _mixed(4000))
        if kind == "duckdb":
            con.commit()
    finally:
        con.close()

    def verdicts(full: bool, layout: str) -> list[tuple]:
        sql = compiled[f"{layout}{full}"]
        return sorted(project.query(f"select * from ({sql}) v"), key=lambda r: [str(x) for x in r[1:4]])

    for full in (False, True):
        long_rows, wide_rows = verdicts(full, "long"), verdicts(full, "wide")
        assert wide_rows == long_rows, full
        flagged = {(r[1], r[2], r[3]) for r in wide_rows if r[9]}
        assert flagged >= {("owner", "PERSON", "full"), ("first_name", "PERSON", "full"),
                           ("contact", "EMAIL_ADDRESS", "full"), ("notes", "EMAIL_ADDRESS", "contains")}, flagged
        assert not {f for f in flagged if f[0] in ("order_no", "app_version", "empty")}, flagged
        owner = next(r for r in wide_rows if r[1] == "owner" and r[2] == "PERSON")
        # The deferred check ran on values: shape matches include the place names it then rejected.
        assert 0 < owner[5] < owner[4] and owner[7] < 1, owner


def test_a_batch_wider_than_one_postgres_query_holds_is_cut(pg_project) -> None:
    """`dango_pii_batch_columns: 200` on a 120-column table: PostgreSQL's wide layout would need ~3,700 values in one
    row (at most 1,664), so batches are cut to 50 columns there, and every column is still judged."""
    cols = [f"c{i:03d}" for i in range(120)]
    exprs = [("'user' || g || '@example.org'" if i % 3 == 0 else "'active'") + f" as {c}" for i, c in enumerate(cols)]
    pg_project.execute(
        "drop schema if exists wide_pg cascade", "create schema wide_pg",
        f"create table wide_pg.t as select {', '.join(exprs)} from generate_series(1, 300) as s(g)",
    )
    args = json.dumps({"run_id": "wide120", "schemas": ["wide_pg"]})
    batch = "{dango_pii_batch_columns: 200}"
    pg_project.invoke(["--quiet", "run-operation", "dango_monitors.pii_scan", "--vars", batch, "--args", args])
    found = pg_project.query("select column_name, entity from dango.dango_pii_findings where run_id = 'wide120'")
    assert sorted(found) == [(c, "EMAIL_ADDRESS") for c in cols[::3]]
