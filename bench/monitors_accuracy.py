"""Monitor accuracy: our default verdict vs Elementary's method vs Dango's rule, on the same generated series.

    .venv/bin/python bench/monitors_accuracy.py [--series 200] [--seed 1]

Series: daily (90 days) and hourly (63 days); weekly seasonality (weekends x1.3, plus a daily profile for hourly);
some with a trend; noise 3 %, 8 % or 15 %; half with past incidents (spikes / drops) inside the training window; each
the sum of 3 segments (shares 50 / 30 / 20 %). The last bucket carries a known anomaly (spike, drop, drop to zero,
level shift, one segment collapsing while another grows so the total barely moves) or none (clean controls).

- ours: the SQL verdict of the dango_monitors package (verdict_sql, defaults: median / MAD, seasonality day_of_week or
  hour_of_week, sensitivity 3, segment alerts), run through dbt on DuckDB; top driver from monitors.core.drivers.
- Elementary: z-score of the last bucket against the mean / stddev of a 14-day window that includes it, sensitivity 3.
- Dango: week_over_week, |change| >= 20 % against the value 7 days earlier.
Elementary and Dango judge the total only (their documented behaviour for these monitors).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

KINDS = ["spike", "drop", "drop_to_zero", "level_shift", "segment_collapse"]
SHARES = [0.5, 0.3, 0.2]
SEGMENTS = ["a", "b", "c"]
AS_OF = dt.datetime(2026, 11, 21)  # judges 2026-11-20 (daily) and 2026-11-20 23:00 (hourly)

MACRO = """
{% macro bench_verdicts(cfg, as_of, history_table, out_table) %}
    {% set m = dango_monitors.monitor_config(cfg) %}
    {% call statement('bench') %}
        create or replace table {{ out_table }} as
        {{ dango_monitors.verdict_sql('select * from ' ~ history_table, m, dango_monitors.as_of_sql(as_of), true) }}
    {% endcall %}
    {% do adapter.commit() %}
{% endmacro %}
"""


def generate(grain: str, n_series: int, rng: np.random.Generator) -> tuple[list[dict], np.ndarray]:
    """Series specs and values [series, segment, bucket]; the last bucket is the one under test."""
    if grain == "day":
        n = 90
        times = [AS_OF - dt.timedelta(days=n - i) for i in range(n)]
    else:
        n = 63 * 24
        times = [AS_OF - dt.timedelta(hours=n - i) for i in range(n)]
    weekday = np.array([t.weekday() for t in times])
    hour = np.array([t.hour for t in times])
    season = np.where(weekday >= 5, 1.3, 1.0)
    if grain == "hour":
        season = season * (0.6 + 0.8 * np.exp(-((hour - 14) ** 2) / 18))
    specs, values = [], np.zeros((n_series, 3, n))
    for s in range(n_series):
        kind = "clean" if s < n_series // 2 else KINDS[s % len(KINDS)]
        noise = [0.03, 0.08, 0.15][s % 3]
        level = rng.uniform(200, 2000)
        slope = float(rng.choice([0.0, 0.0, 0.002, -0.002]))
        trend = slope * (np.arange(n) / (24 if grain == "hour" else 1))
        base = level * season * (1 + trend)
        seg = np.array([base * share * (1 + rng.normal(0, noise, n)) for share in SHARES])
        incidents = rng.random() < 0.5
        if incidents:  # past incidents inside the training window
            for _ in range(rng.integers(1, 3)):
                at = rng.integers(n - 40 if grain == "day" else n - 900, n - 2)
                seg[:, at] *= rng.choice([0.3, 2.0])
        size = max(0.45, 5 * noise)
        driver = None
        if kind == "spike":
            seg[:, -1] *= 1 + size * 1.2
        elif kind == "drop":
            seg[:, -1] *= max(0.05, 1 - size)
        elif kind == "drop_to_zero":
            seg[:, -1] = 0
        elif kind == "level_shift":
            seg[:, -3:] *= 1 + size
        elif kind == "segment_collapse":
            victim = int(rng.integers(1, 3))  # the 30 % or the 20 % segment
            lost = seg[victim, -1] * 0.95
            seg[victim, -1] -= lost
            seg[0, -1] += lost * 0.8  # another grows: the total moves by ~5 % only
            driver = SEGMENTS[victim]
        values[s] = np.clip(seg, 0, None)
        specs.append({"id": f"{grain}_{s:04d}", "kind": kind, "noise": noise, "driver": driver, "times": times,
                      "trend": slope, "incidents": incidents})
    return specs, values


def elementary(total: np.ndarray, per_day: int) -> bool:
    window = total[-14 * per_day :]  # the tested point is inside its own training window (their #1560)
    sd = window.std(ddof=1)
    return bool(sd > 0 and abs(total[-1] - window.mean()) / sd >= 3)


def dango(total: np.ndarray, per_day: int) -> bool:
    before = total[-1 - 7 * per_day]
    if before == 0:
        return total[-1] != 0
    return abs(total[-1] - before) / abs(before) * 100 >= 20


def ours(specs: list[dict], values: np.ndarray, grain: str, workdir: Path) -> dict[str, tuple[str, str | None]]:
    """Run verdict_sql through dbt over every series at once; id -> (monitor_status, top driver value)."""
    import duckdb

    from airflow_provider_dango.monitors.core import drivers

    warehouse = workdir / "warehouse.duckdb"
    rows = []
    for spec, seg in zip(specs, values, strict=True):
        total = seg.sum(axis=0)
        for i, t in enumerate(spec["times"]):
            rows.append((spec["id"], t, "__total__", "__total__", float(total[i])))
            for k, name in enumerate(SEGMENTS):
                rows.append((spec["id"], t, "segment", name, float(seg[k, i])))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        con.execute(
            "CREATE OR REPLACE TABLE bench.history (monitor VARCHAR, bucket_start TIMESTAMP, dimension VARCHAR, "
            "dimension_value VARCHAR, value DOUBLE)"
        )
        import csv

        path = workdir / "history.csv"
        with open(path, "w", newline="") as handle:
            csv.writer(handle).writerows(rows)
        con.execute(f"INSERT INTO bench.history SELECT * FROM read_csv('{path}', header = false)")
    from dbt.cli.main import dbtRunner

    cfg = {"name": "bench", "time_column": "t", "grain": grain, **json.loads(os.environ.get("BENCH_CFG", "{}"))}
    args = {"cfg": cfg, "as_of": AS_OF.isoformat(sep=" "), "history_table": "bench.history",
            "out_table": "bench.verdicts"}
    os.environ["DANGO_WAREHOUSE"] = str(warehouse)
    res = dbtRunner().invoke(["--quiet", "run-operation", "bench_verdicts", "--args", json.dumps(args),
                              "--project-dir", str(workdir), "--profiles-dir", str(workdir)])
    if not res.success:
        raise SystemExit(f"dbt failed: {res.exception}")
    with duckdb.connect(str(warehouse)) as con:  # dbt (in-process) keeps a read-write connection open
        out = con.execute(
            "SELECT monitor, bucket_start, dimension, dimension_value, value, baseline, monitor_status "
            "FROM bench.verdicts"
        ).fetchall()
    by: dict[str, list[tuple]] = {}
    for r in out:
        by.setdefault(r[0], []).append(r)
    verdicts = {}
    if os.environ.get("BENCH_DEBUG"):
        with duckdb.connect(str(warehouse)) as con:
            for r in con.execute(
                "SELECT monitor, dimension_value, round(value), round(baseline), round(change_pct, 1), "
                "round(score, 2), round(scale, 1), n_train FROM bench.verdicts WHERE series_status = 'flagged' "
                "ORDER BY 1"
            ).fetchall():
                print("flagged series:", r)
    for mid, rs in by.items():
        total = next(r for r in rs if r[2] == "__total__")
        top = None
        if total[6] == "flagged":
            found = drivers(total, [r for r in rs if r[2] != "__total__"])
            top = found[0].value if found else None
        verdicts[mid] = (total[6], top)
    return verdicts


def score(flags: list[bool], truth: list[bool]) -> dict[str, float]:
    tp = sum(f and t for f, t in zip(flags, truth, strict=True))
    fp = sum(f and not t for f, t in zip(flags, truth, strict=True))
    fn = sum(t and not f for f, t in zip(flags, truth, strict=True))
    clean = sum(not t for t in truth)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "fpr": fp / clean if clean else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200, help="series per grain (half clean)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="dango_bench_"))
    (workdir / "macros").mkdir()
    (workdir / "macros" / "bench.sql").write_text(MACRO)
    (workdir / "dbt_project.yml").write_text("name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n")
    (workdir / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('DANGO_WAREHOUSE') }}\"\n      threads: 1\n"
    )
    (workdir / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
    from dbt.cli.main import dbtRunner

    dbtRunner().invoke(["--quiet", "deps", "--project-dir", str(workdir), "--profiles-dir", str(workdir)])
    table = []
    all_truth: list[bool] = []
    all_flags: dict[str, list[bool]] = {"ours": [], "elementary": [], "dango": []}
    drivers_right = drivers_total = 0
    for grain in ["day", "hour"]:
        per_day = 1 if grain == "day" else 24
        specs, values = generate(grain, args.series, rng)
        t0 = time.monotonic()
        verdicts = ours(specs, values, grain, workdir)
        took = time.monotonic() - t0
        truth = [s["kind"] != "clean" for s in specs]
        flags = {
            "ours": [verdicts[s["id"]][0] == "flagged" for s in specs],
            "elementary": [elementary(v.sum(axis=0), per_day) for v in values],
            "dango": [dango(v.sum(axis=0), per_day) for v in values],
        }
        if os.environ.get("BENCH_DEBUG"):
            for s in specs:
                if s["kind"] == "clean" and verdicts[s["id"]][0] == "flagged":
                    print("false positive:", s["id"], s["noise"], s["trend"], s["incidents"])
        for s in specs:
            if s["driver"] and verdicts[s["id"]][0] == "flagged":
                drivers_total += 1
                drivers_right += verdicts[s["id"]][1] == s["driver"]
            elif s["driver"]:
                drivers_total += 1
        all_truth += truth
        for method, f in flags.items():
            all_flags[method] += f
            m = score(f, truth)
            table.append((grain, method, m))
            per_kind = {
                k: sum(fl for fl, s in zip(f, specs, strict=True) if s["kind"] == k)
                / max(1, sum(s["kind"] == k for s in specs))
                for k in KINDS
            }
            table[-1][2].update({f"recall_{k}": v for k, v in per_kind.items()})
        print(f"[{grain}] {len(specs)} series, our SQL verdict took {took:.1f} s (dbt run-operation included)")
    print(f"\n{'grain':6} {'method':11} {'precision':>9} {'recall':>7} {'F1':>6} {'FPR':>6}   recall by kind")
    for grain, method, m in table:
        kinds = " ".join(f"{k}={m[f'recall_{k}']:.2f}" for k in KINDS)
        cells = f"{m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['fpr']:6.3f}"
        print(f"{grain:6} {method:11} {cells}   {kinds}")
    print()
    for method, f in all_flags.items():
        m = score(f, all_truth)
        print(f"all    {method:11} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['fpr']:6.3f}")
    print(f"\nright top driver (segment collapses): {drivers_right}/{drivers_total} = "
          f"{drivers_right / max(1, drivers_total):.2f} (a missed detection counts as wrong)")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
