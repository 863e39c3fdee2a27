"""PII scan speed: 10 M rows x 20 string columns in DuckDB (or, with --postgres, in PostgreSQL).

    .venv/bin/python bench/pii_speed.py [--rows 10000000] [--runs 5] [--keep DIR]
    .venv/bin/python bench/pii_speed.py --postgres [--rows 1000000] [--runs 7]

With --postgres the script starts its own throw-away PostgreSQL cluster on 127.0.0.1 (tests/services/postgres.py,
or DANGO_TEST_PG_DSN), loads the same generated table into it, and times the default sampled scan's verdict query
against one hand-written PostgreSQL query doing the same work (the same reproducible sample, then per column the same
prefilters and regexes), interleaved, as a ratio of medians.

Generates the table here (nothing committed; `--keep DIR` reuses it between runs), then times, as medians:
- the default sampled scan: the SQL alone (the verdict query dango_monitors compiles for the table), and end to end
  (`dbt run-operation dango_monitors.pii_scan`, which adds dbt start-up and writing findings);
- the full scan: cells per second, and its ratio to the floor, one hand-written DuckDB query that counts the same
  prefilters and regexes per column (no validators, no masks, no verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from pii_common import BenchDbt

COLUMNS = {
    # name: SQL over r (the row number) producing a string
    "email": "'user' || r || '@mail' || (r % 89) || '.example.com'",
    "phone": "'+49 ' || (150 + r % 30) || ' ' || (1000000 + (r * 7919) % 8999999)",
    "first_name": "['Anna','Ben','Chloe','David','Emma','Felix','Greta','Hugo'][1 + r % 8]",
    "last_name": "['Schmidt','Rossi','Garcia','Novak','Jansen','Dubois','Silva','Berg'][1 + (r // 8) % 8]",
    "ip": "((r * 31) % 223 + 1) || '.' || ((r * 17) % 256) || '.' || (r % 256) || '.' || ((r * 13) % 256)",
    "iban_like": "'DE' || lpad(((r * 7) % 100)::VARCHAR, 2, '0') || lpad((r * 104729 % 100000000)::VARCHAR, 18, '0')",
    "card_like": "'4' || lpad(((r * 2654435761) % 1000000000000000)::VARCHAR, 15, '0')",
    "ssn_like": "(r % 899 + 100) || '-' || lpad((r % 99 + 1)::VARCHAR, 2, '0') || '-' || (r % 8999 + 1000)",
    "notes": "CASE WHEN r % 20 = 0 THEN 'mail user' || r || '@example.org the invoice' ELSE 'leave at the door' END",
    "status": "['completed','refunded','cancelled','pending'][1 + r % 4]",
    "sku": "'SKU-' || (r % 100000)",
    "version": "(r % 7) || '.' || (r % 13) || '.' || (r % 29)",
    "created": "strftime(TIMESTAMP '2024-01-01' + to_seconds(r), '%Y-%m-%d %H:%M:%S')",
    "uuid": "md5(r::VARCHAR)",
    "city": "['Berlin','Paris','Rome','Madrid','London','Vienna'][1 + r % 6]",
    "amount": "((r * 37) % 100000 / 100.0)::VARCHAR",
    "country": "['DE','FR','IT','ES','GB','US'][1 + r % 6]",
    "zip": "lpad((r % 99999)::VARCHAR, 5, '0')",
    "order_id": "(1000000000 + r)::VARCHAR",
    "comment": "CASE WHEN r % 3 = 0 THEN NULL ELSE 'Fragile item ' || (r % 50) END",
}


def generate(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        if (
            con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'wide'").fetchone()[0]
            and con.execute("SELECT count(*) FROM wide").fetchone()[0] == rows
        ):
            return
        t0 = time.monotonic()
        select = ", ".join(f"({expr})::VARCHAR AS {name}" for name, expr in COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TABLE wide AS SELECT {select} FROM range({rows}) t(r)")
        print(f"generated {rows:,} rows x {len(COLUMNS)} columns in {time.monotonic() - t0:.0f} s")


def timed(con: duckdb.DuckDBPyConnection, sql: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.monotonic()
        con.execute(sql).fetchall()
        out.append(time.monotonic() - t0)
    return out


def hinted(entity: dict, column: str) -> bool:
    """The package's column-name hint (pii_column_hint) for this table's columns."""
    col = column.lower()
    if entity.get("hint_exclude") and re.search(entity["hint_exclude"], col):
        return False
    return bool(re.search(entity["hint"], col))


def floor_sql(entities: list[dict], table: str) -> str:
    """The hand-written query: per column and entity, count prefilter + full regex match; emails inside text.

    Like the scan, it looks for hint-only entities (names, birth dates, addresses) only in columns named for them."""
    parts = []
    for col in COLUMNS:
        for e in entities:
            if e["hint_required"] and not hinted(e, col):
                continue
            pre = e["prefilter"].replace("{v}", col)
            pattern = e["pattern"].replace("'", "''")
            parts.append(f"count_if({pre} AND regexp_full_match({col}, '{pattern}'))")
            if e.get("contains_pattern"):
                cpattern = e["contains_pattern"].replace("'", "''")
                parts.append(f"count_if(contains({col}, '@') AND regexp_matches({col}, '{cpattern}'))")
    return f"SELECT count(*), {', '.join(parts)} FROM {table}"


FLOOR_EXPRS = """{%- set out = [] -%}{%- for e in dango_monitors.pii_entities() -%}
{%- do out.append({'name': e.name, 'hint': e.hint, 'hint_exclude': e.hint_exclude or '',
  'hint_required': e.hint_required, 'prefilter': e.prefilter, 'match': dango_monitors.pii_full_match('{v}', e.pattern),
  'contains': (dango_monitors.pii_render(e.contains_prefilter, '{v}') ~ ' and '
               ~ dango_monitors.pii_contains_match('{v}', e.contains_pattern)) if e.contains_pattern else ''}) -%}
{%- endfor -%}{{ tojson(out) }}"""


def postgres_floor_sql(exprs: list[dict], sample_from: str) -> str:
    """The hand-written PostgreSQL query: the same sample, then per column and entity count prefilter + full match."""
    parts = []
    for col in COLUMNS:
        for e in exprs:
            if e["hint_required"] and not hinted(e, col):
                continue
            cond = f"{e['prefilter']} and {e['match']}".replace("{v}", col)
            parts.append(f"count(*) filter (where {cond})")
            if e["contains"]:
                parts.append(f"count(*) filter (where {e['contains'].replace('{v}', col)})")
    return f"with s as ({sample_from}) select count(*), {', '.join(parts)} from s"


def main_postgres(args: argparse.Namespace) -> int:
    import psycopg2

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.services.postgres import running_postgres

    rows = args.rows if args.rows != 10_000_000 else 1_000_000
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    work = args.keep or Path(tempfile.mkdtemp(prefix="pii_speed_pg_"))
    work.mkdir(parents=True, exist_ok=True)
    csv = work / "wide.csv"
    if not csv.exists():
        duck = work / "gen.duckdb"
        generate(duck, rows)
        with duckdb.connect(str(duck)) as con:
            con.execute(f"COPY wide TO '{csv}' (HEADER false)")
    with running_postgres() as server:
        con = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                               dbname=server.dbname)
        con.autocommit = True
        cur = con.cursor()
        cur.execute("drop table if exists wide")
        cur.execute(f"create table wide ({', '.join(f'{c} varchar' for c in COLUMNS)})")
        t0 = time.monotonic()
        with csv.open(encoding="utf-8") as fh:
            cur.copy_expert("copy wide from stdin with (format csv)", fh)
        cur.execute("analyze wide")
        cur.execute("select count(*), version() from wide")
        count, version = cur.fetchone()
        print(f"{version.split(',')[0]}; {count:,} rows x {len(COLUMNS)} string columns (loaded in "
              f"{time.monotonic() - t0:.0f} s)")
        dbt = BenchDbt(work / "dbt_pg", None, postgres=server)
        cols = list(COLUMNS)
        ours = dbt.verdict_sql("public", "wide", cols, full=False, row_count=count)
        exprs = json.loads(dbt.compile_inline(FLOOR_EXPRS))
        select_list = ", ".join(cols)
        sample_from = dbt.compile_inline(
            f"{{{{ dango_monitors.pii_sample_from('wide', '{select_list}', false, 10000, 42, {count}) }}}}"
        )
        floor = postgres_floor_sql(exprs, sample_from)
        # What `pii_scan` runs before each verdict query, in the same transaction (JIT off on PostgreSQL). The floor
        # gets the same settings: it is then the hand-written query at its best, not slowed by JIT compilation.
        settings = json.loads(dbt.compile_inline("{{ tojson(dango_monitors.pii_query_settings()) }}"))
        print(f"session settings before each query (dango's pii_query_settings): {settings or 'none'}")
        cur.execute("select pg_backend_pid()")
        backend_cpu = _process_cpu(cur.fetchone()[0])
        ours_t, floor_t, ours_c, floor_c = [], [], [], []
        for _ in range(args.runs):  # interleaved: both see the same load
            for sql, out, cpu in ((ours, ours_t, ours_c), (floor, floor_t, floor_c)):
                c0 = backend_cpu()
                t0 = time.monotonic()
                cur.execute("begin")
                for setting in settings:
                    cur.execute(setting)
                cur.execute(sql)
                cur.fetchall()
                cur.execute("commit")
                out.append(time.monotonic() - t0)
                if c0 is not None:
                    cpu.append(backend_cpu() - c0)
        cur.execute("begin")
        for setting in settings:
            cur.execute(setting)
        cur.execute(f"select column_name, entity, match_mode, round(prevalence::numeric, 3) from ({ours}) v "
                    "where flagged order by 1")
        flagged = cur.fetchall()
        cur.execute("commit")
        con.close()
    om, fm = statistics.median(ours_t), statistics.median(floor_t)
    print(f"sampled scan (verdict query dango compiles): median {om:.3f} s  (runs: "
          f"{', '.join(f'{t:.3f}' for t in ours_t)})")
    print(f"  flagged in the sample: {flagged}")
    print(f"floor (hand-written PostgreSQL query, same sample, prefilters and regexes): median {fm:.3f} s  (runs: "
          f"{', '.join(f'{t:.3f}' for t in floor_t)})")
    print(f"ratio sampled scan / floor: {om / fm:.2f}x (target 1.5x)")
    if ours_c:
        oc, fc = statistics.median(ours_c), statistics.median(floor_c)
        print(f"server CPU seconds of the query's backend (less sensitive to other load): sampled scan median "
              f"{oc:.2f}, floor median {fc:.2f}, ratio {oc / fc:.2f}x")
    print(f"load average before / after: {load_before} / {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def _process_cpu(pid: int) -> Callable[[], float | None]:
    """A reader of the CPU seconds a local PostgreSQL backend has used (None when the server is not on this machine:
    /proc has no such process)."""
    stat = Path(f"/proc/{pid}/stat")

    def read() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="measure on a throw-away PostgreSQL cluster")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--full-runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated warehouse in, reused next time")
    args = parser.parse_args()
    if args.postgres:
        return main_postgres(args)
    work = args.keep or Path(tempfile.mkdtemp(prefix="pii_speed_"))
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    generate(warehouse, args.rows)
    dbt = BenchDbt(work / "dbt", warehouse)
    cols = list(COLUMNS)
    sampled_sql = dbt.verdict_sql("main", "wide", cols, full=False, row_count=args.rows)
    full_sql = dbt.verdict_sql("main", "wide", cols, full=True, row_count=args.rows)
    entities = json.loads(dbt.compile_inline("{{ tojson(dango_monitors.pii_entities()) }}"))
    cells = args.rows * len(cols)

    with duckdb.connect(str(warehouse)) as con:
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        sampled = timed(con, sampled_sql, args.runs)
        flagged = con.execute(
            "SELECT column_name, entity, match_mode, round(prevalence, 3) "
            f"FROM ({sampled_sql}) WHERE flagged ORDER BY 1"
        ).fetchall()
        print(f"DuckDB {duckdb.__version__}, {threads} threads; {args.rows:,} rows x {len(cols)} string columns")
        print(
            f"sampled scan, SQL only: median {statistics.median(sampled):.3f} s  (runs: "
            f"{', '.join(f'{t:.3f}' for t in sampled)})"
        )
        print(f"  flagged in the sample: {flagged}")
    e2e = []
    for i in range(min(args.runs, 3)):
        t0 = time.monotonic()
        dbt.invoke(
            [
                "--quiet",
                "run-operation",
                "dango_monitors.pii_scan",
                "--args",
                json.dumps({"run_id": f"speed{i}", "tables": ["main.wide"]}),
            ]
        )
        e2e.append(time.monotonic() - t0)
    print(
        f"sampled scan, end to end (dbt run-operation, in-process): median {statistics.median(e2e):.2f} s  "
        f"(runs: {', '.join(f'{t:.2f}' for t in e2e)})"
    )
    with duckdb.connect(str(warehouse)) as con:
        floor = floor_sql(entities, "wide")
        # Interleave so both see the same machine load.
        full_t, floor_t = [], []
        for _ in range(args.full_runs):
            full_t += timed(con, full_sql, 1)
            floor_t += timed(con, floor, 1)
    fm, lm = statistics.median(full_t), statistics.median(floor_t)
    print(
        f"full scan: median {fm:.2f} s = {cells / fm / 1e6:.1f} M cells/s  "
        f"(runs: {', '.join(f'{t:.2f}' for t in full_t)})"
    )
    print(
        f"floor (hand-written DuckDB query, same prefilters and regexes): median {lm:.2f} s = "
        f"{cells / lm / 1e6:.1f} M cells/s  (runs: {', '.join(f'{t:.2f}' for t in floor_t)})"
    )
    print(f"ratio full scan / floor: {fm / lm:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
