"""Monitor collection speed: 10 M rows, 5 monitors, 2 drill-down dimensions, 90 daily buckets.

    .venv/bin/python bench/monitors_speed.py [--rows 10000000] [--repeat 5]
    .venv/bin/python bench/monitors_speed.py --warehouse postgres [--rows 2000000] [--repeat 5]

Three ways to compute the same aggregates (per day: total, per currency, per country, for 5 metrics):
- ours: the SQL that dango_monitors.collect_sql renders for the 5 monitors (one scan, GROUPING SETS, the cardinality
  cap and the unpivot into history rows), taken from dbt and run on DuckDB, plus the small grouped query it runs
  first to find each drill-down column's most frequent values (both timed);
- hand-written: one DuckDB query with GROUPING SETS and the 5 aggregates (the floor);
- Dango's way: one query per monitor and per dimension (5 x (1 + 2) = 15 scans).
Each is materialised into a temp table; the three run interleaved, `--repeat` times; medians and ratios are printed.
Also timed once: `dbt run-operation dango_monitors.run_monitors` end to end (dbt start-up, collection into
dango_metric_history, and the verdict).

`--warehouse postgres` starts a throw-away PostgreSQL cluster on 127.0.0.1 (tests/services/postgres.py: the
PostgreSQL binaries, initdb run as the `postgres` user when root), loads the same shape of table there, renders ours
through dbt-postgres, and times ours against the same hand-written query on PostgreSQL, interleaved; the cluster is
removed at exit.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AS_OF = "2026-11-21 00:00:00"
METRICS = {
    "orders": "count(*)",
    "revenue": "sum(amount)",
    "avg_amount": "avg(amount)",
    "max_amount": "max(amount)",
    "refunds": "sum(case when status = 'refunded' then 1 else 0 end)",
}
DIMS = ["currency", "country"]
MACRO = """
{% macro bench_collect_sql(monitors, as_of) %}
    {% set configs = [] %}
    {% for m in monitors %}{% do configs.append(dango_monitors.monitor_config(m)) %}{% endfor %}
    {% set relation = api.Relation.create(schema='bench', identifier='events') %}
    {% set as_of_sql = dango_monitors.as_of_sql(as_of) %}
    {% set time_sql = dango_monitors.time_utc_sql(relation, 'ts') %}
    {% set sql = dango_monitors.collect_sql(relation, configs, as_of_sql, time_sql) %}
    {% set tb = dango_monitors.test_bucket_sql(as_of_sql, 'day') %}
    {% set window = time_sql ~ " >= " ~ tb ~ " - interval '89 days' and "
                    ~ time_sql ~ " < " ~ tb ~ " + interval '1 day'" %}
    {% set caps = {'currency': 20, 'country': 20} %}
    {% set counts = dango_monitors.dimension_counts_sql(relation, ['currency', 'country'], caps, window) %}
    {{ print('<<<SQL' ~ sql ~ 'SQL>>>') }}
    {{ print('<<<CNT' ~ counts ~ 'CNT>>>') }}
{% endmacro %}
"""


def monitors() -> list[dict]:
    return [
        {"name": name, "source_table": "bench.events", "value_expression": expr, "time_column": "ts",
         "grain": "day", "drill_down": DIMS, "lookback_days": 89}
        for name, expr in METRICS.items()
    ]


def hand_written() -> str:
    aggs = ", ".join(f"{expr} AS {name}" for name, expr in METRICS.items())
    return (
        f"SELECT date_trunc('day', ts) AS b, currency, country, {aggs} FROM bench.events "
        f"WHERE ts >= TIMESTAMP '{AS_OF}' - INTERVAL '90 days' AND ts < TIMESTAMP '{AS_OF}' "
        "GROUP BY GROUPING SETS ((b), (b, currency), (b, country))"
    )


def dango_way() -> list[str]:
    queries = []
    where = f"WHERE ts >= TIMESTAMP '{AS_OF}' - INTERVAL '90 days' AND ts < TIMESTAMP '{AS_OF}'"
    for expr in METRICS.values():
        queries.append(f"SELECT date_trunc('day', ts) AS b, {expr} AS v FROM bench.events {where} GROUP BY 1")
        for dim in DIMS:
            queries.append(
                f"SELECT date_trunc('day', ts) AS b, {dim}, {expr} AS v FROM bench.events {where} GROUP BY 1, 2"
            )
    return queries


PG_PROFILE = """bench:
  target: dev
  outputs:
    dev:
      type: postgres
      host: "{{ env_var('DANGO_PG_HOST') }}"
      port: "{{ env_var('DANGO_PG_PORT') | as_number }}"
      user: "{{ env_var('DANGO_PG_USER') }}"
      password: "{{ env_var('DANGO_PG_PASSWORD') }}"
      dbname: "{{ env_var('DANGO_PG_DBNAME') }}"
      schema: public
      threads: 1
"""


def setup_dbt(workdir: Path, postgres: bool = False) -> None:
    (workdir / "macros").mkdir(parents=True, exist_ok=True)
    (workdir / "macros" / "bench.sql").write_text(MACRO)
    (workdir / "dbt_project.yml").write_text("name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n")
    (workdir / "profiles.yml").write_text(
        PG_PROFILE if postgres else
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('DANGO_WAREHOUSE') }}\"\n      threads: 1\n"
    )
    (workdir / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")


def dbt(workdir: Path, args: list[str]) -> str:
    from dbt.cli.main import dbtRunner

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        res = dbtRunner().invoke([*args, "--project-dir", str(workdir), "--profiles-dir", str(workdir)])
    if not res.success:
        raise SystemExit(f"dbt {args[:2]} failed: {res.exception}\n{buffer.getvalue()[-2000:]}")
    return buffer.getvalue()


def render_ours(workdir: Path) -> tuple[str, str]:
    """Our collection SQL and the top-values query, as dbt renders them for the 5 monitors."""
    out = dbt(workdir, ["--quiet", "run-operation", "bench_collect_sql", "--args",
                        json.dumps({"monitors": monitors(), "as_of": AS_OF})])
    return out.split("<<<SQL", 1)[1].split("SQL>>>", 1)[0], out.split("<<<CNT", 1)[1].split("CNT>>>", 1)[0]


PG_EVENTS = """create table bench.events as
select i as id,
       timestamp '{as_of}' - interval '90 days' + ((hashint8(i) & 2147483647) % 7776000) * interval '1 second' as ts,
       (array['EUR', 'GBP', 'USD', 'CHF', 'SEK'])[1 + (hashint8(i * 3) & 2147483647) % 5] as currency,
       'C' || lpad(((hashint8(i * 7) & 2147483647) % 20)::text, 2, '0') as country,
       (((hashint8(i * 11) & 2147483647) % 10000) / 100.0)::double precision as amount,
       case when (hashint8(i * 13) & 2147483647) % 10 = 0 then 'refunded' else 'completed' end as status,
       ((hashint8(i * 17) & 2147483647) % 100000)::int as customer_id
from generate_series(1, {rows}) as g(i)"""


def postgres_main(args: argparse.Namespace) -> None:
    """The same comparison on a throw-away PostgreSQL: ours (top-values query + collect_sql) vs hand-written."""
    import psycopg2

    from tests.services.postgres import running_postgres

    workdir = Path(tempfile.mkdtemp(prefix="dango_speed_pg_"))
    with running_postgres() as server:
        os.environ.update(server.env())
        con = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                               dbname=server.dbname)
        con.autocommit = True
        cur = con.cursor()
        t0 = time.monotonic()
        cur.execute("create schema bench")
        cur.execute(PG_EVENTS.format(as_of=AS_OF, rows=args.rows))
        cur.execute("vacuum analyze bench.events")
        cur.execute("show server_version")
        version = cur.fetchone()[0]
        cur.execute("show max_parallel_workers_per_gather")
        workers = cur.fetchone()[0]
        print(f"generated {args.rows:,} rows in {time.monotonic() - t0:.1f} s; PostgreSQL {version}, "
              f"max_parallel_workers_per_gather {workers}")
        setup_dbt(workdir, postgres=True)
        dbt(workdir, ["--quiet", "deps"])
        ours_sql, counts_sql = render_ours(workdir)
        hand = hand_written()
        times: dict[str, list[float]] = {"ours": [], "hand-written": []}
        for _ in range(args.repeat):
            for name in times:
                t = time.perf_counter()
                if name == "ours":
                    cur.execute(counts_sql)
                    cur.fetchall()
                    cur.execute("drop table if exists r_ours")
                    cur.execute(f"create temp table r_ours as {ours_sql}")
                else:
                    cur.execute("drop table if exists r_hand")
                    cur.execute(f"create temp table r_hand as {hand}")
                times[name].append(time.perf_counter() - t)
        cur.execute(
            "select max(abs(o.value - h.revenue)) from r_ours o join r_hand h "
            "on o.bucket_start = h.b and o.dimension = 'currency' and o.dimension_value = h.currency "
            "and h.country is null where o.monitor = 'revenue'"
        )
        diff = cur.fetchone()[0]
        con.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nPostgreSQL, median of {args.repeat} (interleaved): ours {med['ours']:.3f} s, "
          f"hand-written {med['hand-written']:.3f} s")
    print(f"ours / hand-written = {med['ours'] / med['hand-written']:.2f}  (target <= 1.5)")
    print(f"max |revenue difference| = {diff}")
    print("all runs:", {k: [round(x, 3) for x in v] for k, v in times.items()})


def main() -> None:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="default 10 M on DuckDB, 2 M on PostgreSQL")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    args = parser.parse_args()
    if args.warehouse == "postgres":
        args.rows = args.rows or 2_000_000
        postgres_main(args)
        return
    args.rows = args.rows or 10_000_000
    workdir = Path(tempfile.mkdtemp(prefix="dango_speed_"))
    warehouse = workdir / "warehouse.duckdb"
    os.environ["DANGO_WAREHOUSE"] = str(warehouse)
    t0 = time.monotonic()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA bench")
        con.execute(
            f"""CREATE TABLE bench.events AS
            SELECT i AS id,
                   TIMESTAMP '{AS_OF}' - INTERVAL '90 days' + to_microseconds((hash(i) % 7776000000000)::BIGINT) AS ts,
                   ['EUR', 'GBP', 'USD', 'CHF', 'SEK'][1 + (hash(i * 3) % 5)::INT] AS currency,
                   'C' || lpad(((hash(i * 7) % 20))::VARCHAR, 2, '0') AS country,
                   ((hash(i * 11) % 10000) / 100.0)::DOUBLE AS amount,
                   CASE WHEN hash(i * 13) % 10 = 0 THEN 'refunded' ELSE 'completed' END AS status,
                   (hash(i * 17) % 100000)::INT AS customer_id
            FROM range({args.rows}) t(i)"""
        )
    print(f"generated {args.rows:,} rows in {time.monotonic() - t0:.1f} s ({warehouse})")
    setup_dbt(workdir)
    dbt(workdir, ["--quiet", "deps"])
    # Ours is two statements: the small query that finds each drill-down column's most frequent values (for the
    # cardinality cap), then the collection scan. Both are timed.
    ours_sql, counts_sql = render_ours(workdir)
    times: dict[str, list[float]] = {"ours": [], "hand-written": [], "dango": []}
    with duckdb.connect(str(warehouse)) as con:
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"DuckDB {duckdb.__version__}, threads {threads}")
        for _ in range(args.repeat):
            for name in times:
                t = time.perf_counter()
                if name == "ours":
                    con.execute(counts_sql).fetchall()
                    con.execute(f"CREATE OR REPLACE TEMP TABLE r_ours AS {ours_sql}")
                elif name == "hand-written":
                    con.execute(f"CREATE OR REPLACE TEMP TABLE r_hand AS {hand_written()}")
                else:
                    for i, q in enumerate(dango_way()):
                        con.execute(f"CREATE OR REPLACE TEMP TABLE r_dango_{i} AS {q}")
                times[name].append(time.perf_counter() - t)
        ours_rows = con.execute("SELECT count(*) FROM r_ours").fetchone()[0]
        hand_rows = con.execute("SELECT count(*) FROM r_hand").fetchone()[0]
        # Same numbers: our revenue per currency and day equals the hand-written query's.
        diff = con.execute(
            "SELECT max(abs(o.value - h.revenue)) FROM r_ours o JOIN r_hand h "
            "ON o.bucket_start = h.b AND o.dimension = 'currency' AND o.dimension_value = h.currency "
            "AND h.country IS NULL WHERE o.monitor = 'revenue'"
        ).fetchone()[0]
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nmedian of {args.repeat} (interleaved): ours {med['ours']:.3f} s, "
          f"hand-written {med['hand-written']:.3f} s, Dango's way (15 queries) {med['dango']:.3f} s")
    print(f"ours / hand-written = {med['ours'] / med['hand-written']:.2f}  (target <= 1.5)")
    print(f"Dango's way / ours  = {med['dango'] / med['ours']:.2f}")
    print(f"rows: ours {ours_rows:,} history rows (5 monitors unpivoted), hand-written {hand_rows:,} grouped rows; "
          f"max |revenue difference| = {diff}")
    print("all runs:", {k: [round(x, 3) for x in v] for k, v in times.items()})
    t = time.perf_counter()
    dbt(workdir, ["--quiet", "run-operation", "dango_monitors.run_monitors", "--args",
                  json.dumps({"monitors": monitors(), "as_of": AS_OF, "run_id": "bench"})])
    print(f"end to end `dbt run-operation dango_monitors.run_monitors` (5 monitors, collection + history write + "
          f"verdict, dbt start-up included): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
