"""Schema drift check on 200 tables x 50 columns: the SQL check alone, the in-process check, and the CLI end to end.

    .venv/bin/python bench/drift_check.py [--tables 200] [--columns 50] [--runs 7]
    .venv/bin/python bench/drift_check.py --warehouse postgres [--tables 200] [--columns 50] [--runs 7]

Builds a throwaway dango project (no sources; a dbt project that installs dango_monitors) with a DuckDB warehouse of
TABLES x COLUMNS columns, takes the baseline, then changes 20 tables (10 narrowed columns, 10 dropped columns: breaking,
so every later run reports the same 20 changes) and times, as medians over RUNS runs:
- cli:        `dango drift check --json` as a subprocess, end to end (Python start, imports, check, reading, JSON);
- sql:        the exact statements of `dango_monitors.drift_check` (compiled once by dbt), run directly on DuckDB;
- check():    `airflow_provider_dango.drift.check()` in-process: on DuckDB it runs those cached compiled statements in
              one transaction and reads the verdict (what the DAG task and the CLI do);
- run-operation: `dbt run-operation dango_monitors.drift_check` in-process (the path for other warehouses; dbt is
              already imported, so this is dbt's per-invocation cost plus the SQL).

With `--warehouse postgres` the script starts a throw-away PostgreSQL cluster on 127.0.0.1 itself
(tests/services/postgres.py: initdb + pg_ctl under a temp folder, stopped at exit; or the server in
DANGO_TEST_PG_DSN), fills it the same way through psycopg2 and times the same 20-change check as:
- sql:        the compiled statements of `dango_monitors.drift_check`, run in one transaction on PostgreSQL;
- run-operation: `dbt run-operation dango_monitors.drift_check` in-process against a dbt-postgres profile.
(The Python core's check() and CLI read DuckDB only until the warehouse layer lands, so they are not timed here.)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from airflow_provider_dango.warehouse import for_project

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parent.parent
TYPES = ["INTEGER", "BIGINT", "VARCHAR", "DOUBLE PRECISION", "DECIMAL(12,2)", "TIMESTAMP", "BOOLEAN", "DATE"]


def make_project(root: Path, tables: int, columns: int) -> Path:
    (root / ".dango").mkdir(parents=True)
    (root / ".dango" / "project.yml").write_text("project:\n  name: bench\n", encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text('version: "1.0"\nsources: []\n', encoding="utf-8")
    dbt = root / "dbt"
    dbt.mkdir()
    (dbt / "dbt_project.yml").write_text('name: bench\nversion: "1.0"\nconfig-version: 2\nprofile: bench\n')
    (dbt / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('DANGO_WAREHOUSE') }}\"\n      threads: 1\n"
    )
    (dbt / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
    return root


def fill_warehouse(path: Path, tables: int, columns: int) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw_bench")
    for t in range(tables):
        cols = ", ".join(f"c{c} {TYPES[(t + c) % len(TYPES)]}" for c in range(columns))
        con.execute(f"CREATE TABLE raw_bench.t{t:03d} ({cols}, _dlt_id VARCHAR, _dlt_load_id VARCHAR)")
    con.close()


def break_tables(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    for t in range(10):
        con.execute(f"ALTER TABLE raw_bench.t{t:03d} ALTER c1 TYPE SMALLINT")  # narrowed: breaking
        con.execute(f"ALTER TABLE raw_bench.t{t + 10:03d} DROP COLUMN c2")  # removed: breaking
    con.close()


def median_s(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def compile_statements(invoke, run_id: str) -> list[str]:
    """The statements of one drift check, compiled once by dbt (what the benchmark runs without dbt around them)."""
    marker = "-- dango statement --"
    inline = (
        "{% for s in dango_monitors.drift_check_statements(run_id='" + run_id + "') %}{{ s }}\n"
        + marker
        + "\n{% endfor %}"
    )
    with contextlib.redirect_stdout(io.StringIO()):  # compile --inline echoes the SQL
        compiled = invoke(["compile", "--quiet", "--inline", inline])
    return [s.strip() for s in compiled.result.results[0].node.compiled_code.split(marker) if s.strip()]


def main_postgres(args: argparse.Namespace) -> int:
    """The same check on PostgreSQL: a cluster started (and stopped) by this script, timed side by side."""
    import psycopg2
    from dbt.cli.main import dbtRunner

    sys.path.insert(0, str(REPO))
    from tests.services.postgres import create_database, running_postgres

    tmp = Path(tempfile.mkdtemp(prefix="dango-bench-drift-pg-"))
    try:
        with running_postgres() as cluster:
            server = create_database(cluster, "dango_bench_drift")
            dbt_dir = tmp / "dbt"
            dbt_dir.mkdir()
            (dbt_dir / "dbt_project.yml").write_text('name: bench\nversion: "1.0"\nconfig-version: 2\nprofile: bench\n')
            (dbt_dir / "profiles.yml").write_text(
                "bench:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n"
                "      host: \"{{ env_var('DANGO_PG_HOST') }}\"\n"
                "      port: \"{{ env_var('DANGO_PG_PORT') | as_number }}\"\n"
                "      user: \"{{ env_var('DANGO_PG_USER') }}\"\n"
                "      password: \"{{ env_var('DANGO_PG_PASSWORD') }}\"\n"
                "      dbname: \"{{ env_var('DANGO_PG_DBNAME') }}\"\n"
                "      schema: public\n      threads: 1\n"
            )
            (dbt_dir / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
            os.environ.update(server.env())

            def invoke(argv: list[str]):
                result = dbtRunner().invoke([*argv, "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir)])
                assert result.success, result.exception
                return result

            con = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                                   dbname=server.dbname)
            with con, con.cursor() as cur:
                cur.execute("CREATE SCHEMA raw_bench")
                for t in range(args.tables):
                    cols = ", ".join(f"c{c} {TYPES[(t + c) % len(TYPES)]}" for c in range(args.columns))
                    cur.execute(f"CREATE TABLE raw_bench.t{t:03d} ({cols}, _dlt_id VARCHAR, _dlt_load_id VARCHAR)")
            invoke(["deps", "--quiet"])
            invoke(["run-operation", "dango_monitors.drift_check", "--args", "{run_id: baseline}", "--quiet"])
            with con, con.cursor() as cur:
                cur.execute("SELECT count(DISTINCT table_name) FROM dango.dango_schema_changes "
                            "WHERE run_id = 'baseline' AND change = 'baselined'")
                assert cur.fetchone()[0] == args.tables
                for t in range(10):
                    cur.execute(f"ALTER TABLE raw_bench.t{t:03d} ALTER c1 TYPE SMALLINT USING NULL")  # narrowed
                    cur.execute(f"ALTER TABLE raw_bench.t{t + 10:03d} DROP COLUMN c2")  # removed
                cur.execute("ANALYZE")

            statements = compile_statements(invoke, "bench-sql")
            if os.environ.get("DANGO_BENCH_VERBOSE"):
                (Path(tempfile.gettempdir()) / "dango_drift_statements.sql").write_text(";\n".join(statements))
            print(f"PostgreSQL {con.server_version // 10000}: {args.tables} tables x {args.columns} columns = "
                  f"{args.tables * args.columns:,} columns; 20 breaking changes reported per check")

            def breaking(cur, run_id: str) -> int:
                cur.execute("SELECT count(*) FROM dango.dango_schema_changes WHERE run_id = %s "
                            "AND severity = 'breaking'", (run_id,))
                return cur.fetchone()[0]

            sql_times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                with con, con.cursor() as cur:  # one transaction, committed at the end of the block
                    for statement in statements:
                        t1 = time.perf_counter()
                        cur.execute(statement)
                        if os.environ.get("DANGO_BENCH_VERBOSE"):
                            print(f"  {time.perf_counter() - t1:7.3f} s  {' '.join(statement.split())[:100]}")
                sql_times.append(time.perf_counter() - t0)
                with con, con.cursor() as cur:
                    assert breaking(cur, "bench-sql") == 20

            runop = []
            for i in range(args.runs):
                t0 = time.perf_counter()
                invoke(["run-operation", "dango_monitors.drift_check", "--args", f"{{run_id: op{i}}}", "--quiet"])
                runop.append(time.perf_counter() - t0)
                with con, con.cursor() as cur:
                    assert breaking(cur, f"op{i}") == 20
            con.close()

        print(f"sql only ({len(statements)} statements on PostgreSQL, one transaction): {median_s(sql_times)}")
        print(f"dbt run-operation in-process:                            {median_s(runop)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    args = parser.parse_args()
    if args.warehouse == "postgres":
        return main_postgres(args)

    import duckdb

    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import run_dbt
    from airflow_provider_dango.drift import DBT_TARGET_PATH, check

    tmp = Path(tempfile.mkdtemp(prefix="dango-bench-drift-"))
    try:
        root = make_project(tmp / "project", args.tables, args.columns)
        project = load_project(root)
        fill_warehouse(for_project(project).path, args.tables, args.columns)
        dango = Path(sys.executable).with_name("dango")

        def cli_check() -> dict:
            # A subprocess: dbt-duckdb keeps the file open in the process that ran dbt, so the CLI runs go first.
            proc = subprocess.run(
                [str(dango), "drift", "check", "--json", "--project-dir", str(root)], capture_output=True, text=True
            )
            assert proc.returncode in (0, 1), proc.stdout[-800:] + proc.stderr[-800:]
            return json.loads(proc.stdout)

        subprocess.run([str(dango), "dbt", "manifest", "--project-dir", str(root)], check=True, capture_output=True)
        first = cli_check()
        assert len(first["baselined"]) == args.tables, first["baselined"][:3]
        break_tables(for_project(project).path)
        report = cli_check()
        assert len(report["changes"]) == 20, len(report["changes"])
        print(
            f"{args.tables} tables x {args.columns} columns = {args.tables * args.columns:,} columns; "
            f"{len(report['changes'])} breaking changes reported per check"
        )

        # 1. The CLI end to end, as a person runs it.
        cli = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            assert len(cli_check()["changes"]) == 20
            cli.append(time.perf_counter() - t0)

        # 2. The SQL alone: compile the macro's statements once, run them on DuckDB.
        marker = "-- dango statement --"
        inline = (
            "{% for s in dango_monitors.drift_check_statements(run_id='bench-sql') %}{{ s }}\n"
            + marker
            + "\n{% endfor %}"
        )
        with contextlib.redirect_stdout(io.StringIO()):  # compile --inline echoes the SQL
            compiled = run_dbt(project, ["compile", "--quiet", "--inline", inline, "--target-path", DBT_TARGET_PATH])
        statements = [s.strip() for s in compiled.result.results[0].node.compiled_code.split(marker) if s.strip()]
        sql_times = []
        for _ in range(args.runs):
            con = duckdb.connect(str(for_project(project).path))
            t0 = time.perf_counter()
            for statement in statements:
                con.execute(statement)
            sql_times.append(time.perf_counter() - t0)
            rows = con.execute(
                "SELECT count(*) FROM dango.dango_schema_changes WHERE run_id = 'bench-sql' AND severity = 'breaking'"
            ).fetchone()[0]
            con.close()
            assert rows == 20, rows

        # 3. check() in-process (cached compiled statements + reading the verdict).
        inproc = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            assert len(check(project).changes) == 20
            inproc.append(time.perf_counter() - t0)

        # 4. The macro through dbt run-operation, in-process.
        runop = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            run_dbt(project, ["run-operation", "dango_monitors.drift_check", "--args", f"{{run_id: op{i}}}",
                              "--target-path", DBT_TARGET_PATH, "--quiet"])  # fmt: skip
            runop.append(time.perf_counter() - t0)

        print(f"CLI end to end (dango drift check --json): {median_s(cli)}")
        print(f"sql only ({len(statements)} statements on DuckDB):        {median_s(sql_times)}")
        print(f"check() in-process (sql + read):           {median_s(inproc)}")
        print(f"dbt run-operation in-process:              {median_s(runop)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
