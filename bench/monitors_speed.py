"""Monitor collection speed: 10 M rows, 5 monitors, 2 drill-down dimensions, 90 daily buckets.

    .venv/bin/python bench/monitors_speed.py [--rows 10000000] [--repeat 5]

Three ways to compute the same aggregates (per day: total, per currency, per country, for 5 metrics):
- ours: the SQL that dango_monitors.collect_sql renders for the 5 monitors (one scan, GROUPING SETS, the cardinality
  cap and the unpivot into history rows), taken from dbt and run on DuckDB, plus the small grouped query it runs
  first to find each drill-down column's most frequent values (both timed);
- hand-written: one DuckDB query with GROUPING SETS and the 5 aggregates (the floor);
- Dango's way: one query per monitor and per dimension (5 x (1 + 2) = 15 scans).
Each is materialised into a temp table; the three run interleaved, `--repeat` times; medians and ratios are printed.
Also timed once: `dbt run-operation dango_monitors.run_monitors` end to end (dbt start-up, collection into
dango_metric_history, and the verdict).
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


def setup_dbt(workdir: Path) -> None:
    (workdir / "macros").mkdir(parents=True, exist_ok=True)
    (workdir / "macros" / "bench.sql").write_text(MACRO)
    (workdir / "dbt_project.yml").write_text("name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n")
    (workdir / "profiles.yml").write_text(
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


def main() -> None:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
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
    out = dbt(workdir, ["--quiet", "run-operation", "bench_collect_sql", "--args",
                        json.dumps({"monitors": monitors(), "as_of": AS_OF})])
    ours_sql = out.split("<<<SQL", 1)[1].split("SQL>>>", 1)[0]
    # Ours is two statements: the small query that finds each drill-down column's most frequent values (for the
    # cardinality cap), then the collection scan. Both are timed.
    counts_sql = out.split("<<<CNT", 1)[1].split("CNT>>>", 1)[0]
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
