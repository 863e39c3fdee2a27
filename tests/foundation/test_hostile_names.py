"""Issue 16 item 2 across the pillars, through the `dango` commands a user runs, on DuckDB and PostgreSQL: tables and
columns named with a `drop table` payload, quotes around a dot, a newline and `{{ }}` are only ever names. Schema
drift (the check after a sync), the PII scan, `monitors suggest --write` then `monitors run`, and column profiles each
see every table under its exact name, and the victim table survives."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from airflow_provider_dango.cli import main
from airflow_provider_dango.warehouse import quote_ident as q
from tests.conftest import REPO

NAMES = ['o"; drop table victim; --', 'we"ird.a"b', "new\nline", "{{ x }}"]
AS_OF = "2026-11-21 06:00:00"
END = dt.date(2026, 11, 20)
PROFILES = """hx:
  target: {target}
  outputs:
    duckdb:
      type: duckdb
      path: "{path}"
      threads: 1
    postgres:
      type: postgres
      host: "{{{{ env_var('DANGO_PG_HOST') }}}}"
      port: "{{{{ env_var('DANGO_PG_PORT') | as_number }}}}"
      user: "{{{{ env_var('DANGO_PG_USER') }}}}"
      password: "{{{{ env_var('DANGO_PG_PASSWORD') }}}}"
      dbname: "{{{{ env_var('DANGO_PG_DBNAME') }}}}"
      schema: public
      threads: 1
"""


def rows() -> list[tuple]:
    """10 rows a day for 61 days: an email in the payload-named column, plain words in the others."""
    out = []
    for back in range(60, -1, -1):
        day = dt.datetime.combine(END - dt.timedelta(days=back), dt.time(10))
        out += [(len(out) + i, day, f"person{i}@example.com", "ab"[i % 2], "x", "y") for i in range(10)]
    return out


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def hostile(request, tmp_path_factory: pytest.TempPathFactory):
    """One dango project per warehouse, its raw schema holding a table per hostile name (each with every hostile
    name as a column), and a `victim` table that a pasted name would drop."""
    kind = request.param
    root = tmp_path_factory.mktemp(f"hostile_{kind}") / "hx"
    env = {}
    if kind == "postgres":
        from tests.services.postgres import create_database

        server = request.getfixturevalue("postgres_server")
        env = create_database(server, "t_hostile_names").env()
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    (root / ".dango").mkdir(parents=True)
    (root / ".dango" / "project.yml").write_text("project: {name: hx}\nplatform: {dbt_project_dir: ./dbt}\n")
    (root / ".dango" / "sources.yml").write_text("sources:\n  - name: hx\n    function: hx_source:hx\n")
    (root / "hx_source.py").write_text("def hx():\n    return []\n")
    dbt = root / "dbt"
    dbt.mkdir()
    (dbt / "dbt_project.yml").write_text("name: hx\nversion: '1.0'\nconfig-version: 2\nprofile: hx\n")
    (dbt / "profiles.yml").write_text(PROFILES.format(target=kind, path=root / "data" / "warehouse.duckdb"))
    (dbt / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import run_dbt
    from airflow_provider_dango.warehouse import for_project

    project = load_project(root)
    run_dbt(project, ["deps", "--quiet"])
    wh = for_project(project)
    home = "main" if kind == "duckdb" else "public"
    columns = ", ".join(f"{q(n)} varchar" for n in NAMES)
    data = rows()
    with wh.connect() as con:
        con.execute(f"create table {q(home)}.victim (id integer)")
        con.execute("create schema raw_hx")
        for table in NAMES:
            rel = f"raw_hx.{q(table)}"
            con.execute(f"create table {rel} (id integer, created_at timestamp, {columns})")
            con.executemany(f"insert into {rel} values (?, ?, ?, ?, ?, ?)", data)
    yield root, wh, home
    mp.undo()


def test_every_pillar_takes_hostile_names_as_names(hostile, capsys) -> None:
    root, wh, home = hostile

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--project-dir", str(root)])
        out, err = capsys.readouterr()
        return code, out, err

    # Schema drift after a sync: the first check baselines every table; a dropped column is named exactly.
    code, out, err = run("drift", "check", "--json")
    assert code == 0, err
    with wh.connect() as con:
        con.execute(f"alter table raw_hx.{q(NAMES[3])} drop column {q(NAMES[1])}")
    code, out, err = run("drift", "check", "--json")
    assert code == 1, err
    assert (f"raw_hx.{NAMES[3]}", NAMES[1]) in {
        (c["table"], c["column"]) for c in json.loads(out)["changes"] if c["change"] == "column_removed"
    }, out

    # The PII scan finds the emails under the payload-named column of every table.
    code, out, err = run("pii", "scan", "--json")
    assert code == 0, err
    found = {(f["table"], f["column"]) for f in json.loads(out)["findings"] if f["entity"] == "EMAIL_ADDRESS"}
    assert found == {(f"raw_hx.{t}", NAMES[0]) for t in NAMES}, out

    # suggest --write: monitors.yml reads back with each table's exact name, and every suggestion runs.
    code, out, err = run("monitors", "suggest", "--write")
    assert code == 0, err
    from airflow_provider_dango.config.monitors import load_monitors, split_relation

    config = load_monitors(root)
    assert not config.problems and not config.broken
    counts = [m for m in config.monitors if m.value_expression == "count(*)"]
    assert sorted(split_relation(m.source_table) for m in counts) == sorted(["raw_hx", n] for n in NAMES)
    code, out, err = run("monitors", "run", "--json", "--as-of", AS_OF)
    assert code == 0, out + err
    results = json.loads(out)["results"]
    assert {r["status"] for r in results} <= {"normal", "insufficient_history"}, results
    assert {r["name"]: r["value"] for r in results if r["name"] in {m.name for m in counts}} == {
        m.name: 10 for m in counts
    }

    # Column profiles: every table and every hostile column, by its exact name.
    code, out, err = run("profile")  # every user table
    assert code == 0, out + err
    profiled = set(wh.rows("select table_name, column_name from dango.dango_column_profiles"))
    assert {(f"raw_hx.{t}", c) for t in NAMES[:3] for c in NAMES} <= profiled, out + err

    assert wh.table_exists(home, "victim")
