"""PII scan on wide tables: time and peak memory as the column count grows (issue 16, item 3).

    .venv/bin/python bench/pii_wide.py [--columns 100 500 2000] [--rows 10000] [--runs 3]

For each width, a DuckDB table of that many string columns (the 20 column shapes of bench/pii_speed.py repeated:
emails, phones, names, IPs, look-alike ids, versions, free text...) is generated, then `dbt run-operation
dango_monitors.pii_scan` runs in a fresh process that reports its own peak RSS (DuckDB runs inside it). Medians over
`--runs`, with the CPU time of that process (user + system, DuckDB's threads included): on a shared machine wall
time follows the load, CPU time much less. Targets: 2,000 columns x 10,000 rows in <= 60 s and <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from pii_common import BenchDbt
from pii_speed import COLUMNS

RUNNER = """
import json, resource, sys, time
from dbt.cli.main import dbtRunner
t0 = time.monotonic()
res = dbtRunner().invoke(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"ok": res.success, "seconds": time.monotonic() - t0, "cpu": u.ru_utime + u.ru_stime,
                  "rss_mb": u.ru_maxrss / 1024}))
"""


def generate(path: Path, columns: int, rows: int) -> None:
    shapes = list(COLUMNS.items())
    select = ", ".join(
        f"({shapes[i % len(shapes)][1]})::VARCHAR AS {shapes[i % len(shapes)][0]}_{i:04d}" for i in range(columns)
    )
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE OR REPLACE TABLE wide AS SELECT {select} FROM range({rows}) t(r)")


def scan_once(dbt: BenchDbt, run_id: str) -> dict:
    """One `dbt run-operation dango_monitors.pii_scan` in a fresh process: seconds, peak RSS (MB)."""
    args = ["--quiet", "run-operation", "dango_monitors.pii_scan", "--args", json.dumps({"run_id": run_id}),
            "--project-dir", str(dbt.root), "--profiles-dir", str(dbt.root)]
    out = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise RuntimeError(f"pii_scan failed: {out.stdout[-2000:]}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pii_wide_"))
    print(f"{args.rows:,} rows; medians of {args.runs} runs; each run a fresh `dbt run-operation` process")
    print(f"{'columns':>8} {'seconds':>8} {'CPU s':>6} {'peak RSS MB':>12} {'findings':>9}  runs (s / MB)")
    for n in args.columns:
        warehouse = work / f"wide_{n}.duckdb"
        t0 = time.monotonic()
        generate(warehouse, n, args.rows)
        gen = time.monotonic() - t0
        dbt = BenchDbt(work / f"dbt_{n}", warehouse)
        runs = [scan_once(dbt, f"wide{i}") for i in range(args.runs)]
        with duckdb.connect(str(warehouse)) as con:
            found = con.execute("SELECT count(*) FROM dango.dango_pii_findings WHERE run_id = 'wide0'").fetchone()[0]
        secs = statistics.median(r["seconds"] for r in runs)
        rss = statistics.median(r["rss_mb"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        detail = ", ".join(f"{r['seconds']:.1f}/{r['rss_mb']:.0f}" for r in runs)
        print(f"{n:>8} {secs:>8.1f} {cpu:>6.1f} {rss:>12.0f} {found:>9}  {detail}  (table generated in {gen:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
