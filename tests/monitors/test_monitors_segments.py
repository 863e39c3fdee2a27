"""Issue 15 item 1 and issue 12: new and vanishing segments, count metrics, human reasons and the run summary, judged
by the dango_monitors macros on DuckDB and on a real PostgreSQL with the same verdicts."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tests.monitors.dual import DualProject, poisson_days

AS_OF = "2026-11-21 06:00:00"  # judges 2026-11-20
END = dt.date(2026, 11, 20)
COLUMNS = [("id", "integer"), ("status", "varchar"), ("amount", "double precision"), ("created_at", "timestamp")]


def poisson(lam: float):
    def draw(rng: random.Random) -> int:  # Knuth's method: fine for small means
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    return draw


def scenario_tables() -> dict[str, list[tuple]]:
    rng = random.Random(3)
    steady_10 = lambda r: r.choice([10, 11, 11, 12])  # noqa: E731  a steady ~11 a day
    return {
        # A new segment with 12 rows (~19 % of the day): flagged by its share, named, with a finite score.
        "new_big": poisson_days(rng, END, 60, {"a": poisson(40), "b": poisson(10)}, {"c": 12}),
        # A new segment with 4 rows (~7 %): below the 10 % share for new segments; before, it scored ~1e10.
        "new_small": poisson_days(rng, END, 60, {"a": poisson(40), "b": poisson(10)}, {"c": 4}),
        # A segment of a steady ~11 a day (a fifth of the total) vanishes: flagged.
        "vanish": poisson_days(rng, END, 60, {"a": poisson(40), "b": steady_10}, {"b": 0}),
        # A small flat segment (4 every day) goes to 7: a Poisson blip, not an incident (its MAD is 0).
        "small_blip": poisson_days(rng, END, 60, {"a": poisson(40), "b": 4}, {"b": 7}),
    }


MONITORS = [
    {"name": name, "source_table": f"raw.{name}", "value_expression": "count(*)", "time_column": "created_at",
     "drill_down": ["status"]}
    for name in ["new_big", "new_small", "vanish", "small_blip"]
] + [
    # The same drop, as a value metric (sum of amount = 1.0 a row): judged by its share and the spread score.
    {"name": "vanish_sum", "source_table": "raw.vanish", "value_expression": "sum(amount)",
     "time_column": "created_at", "drill_down": ["status"]},
]


@pytest.fixture(params=["duckdb", "postgres"])
def dual(request, tmp_path):
    pg = request.getfixturevalue("postgres_db") if request.param == "postgres" else None
    project = DualProject(tmp_path / "dual", request.param, pg)
    for name, rows in scenario_tables().items():
        project.load("raw", name, COLUMNS, rows)
    return project


def by(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["monitor"], r["dimension_value"]): r for r in rows}


def test_segments_and_counts_are_judged_by_their_own_rules(dual):
    _, out = dual.run_monitors(MONITORS, AS_OF)
    rows = by(dual.results())

    new_c = rows[("new_big", "c")]
    assert new_c["series_status"] == "flagged"
    assert math.isfinite(new_c["score"]) and abs(new_c["score"]) < 100  # a count score, never value / 1e-9
    assert "segment status=c: new" in new_c["reason"] and "% of the total" in new_c["reason"]
    total = rows[("new_big", "__total__")]
    assert total["monitor_status"] == "flagged" and total["series_status"] == "normal"
    assert "flagged by segment status=c" in total["reason"]
    assert total["flagged_by"].startswith("segment status=c (new")

    assert rows[("new_small", "__total__")]["monitor_status"] == "normal"
    assert rows[("new_small", "c")]["series_status"] == "normal"
    assert abs(rows[("new_small", "c")]["score"]) < 100

    gone = rows[("vanish", "b")]
    assert gone["series_status"] == "flagged", gone
    assert gone["value"] == 0 and "vanished" in gone["reason"]
    assert rows[("vanish", "__total__")]["monitor_status"] == "flagged"
    assert "flagged by segment status=b (vanished" in rows[("vanish", "__total__")]["reason"]
    assert rows[("vanish_sum", "b")]["series_status"] == "flagged"

    blip = rows[("small_blip", "b")]
    assert blip["series_status"] == "normal", blip
    assert rows[("small_blip", "__total__")]["monitor_status"] == "normal"

    # The run-operation says what happened, for people: verdict counts and the culprit.
    assert "5 monitor(s): 3 flagged, 2 normal" in out
    assert "new_big: flagged - total" in out and "flagged by segment status=c" in out


def test_postgres_verdicts_equal_duckdb(tmp_path, postgres_db):
    """Side by side: every series' status, value, baseline and score agree between the two warehouses."""
    seen = {}
    for target in ["duckdb", "postgres"]:
        project = DualProject(tmp_path / target, target, postgres_db if target == "postgres" else None)
        for name, rows in scenario_tables().items():
            project.load("raw", name, COLUMNS, rows)
        project.run_monitors(MONITORS, AS_OF)
        seen[target] = {
            (r["monitor"], r["dimension_value"]): (
                r["series_status"], r["monitor_status"], r["value"], r["n_train"],
                None if r["baseline"] is None else round(r["baseline"], 6),
                None if r["score"] is None else round(r["score"], 6),
            )
            for r in project.results()
        }
    assert len(seen["duckdb"]) >= 15
    assert seen["postgres"] == seen["duckdb"]
