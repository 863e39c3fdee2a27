"""`dango monitors run` end to end on real DuckDB tables through the real dbt macros."""

from __future__ import annotations

import json

import pytest

from airflow_provider_dango.cli import main
from airflow_provider_dango.config import load_project
from airflow_provider_dango.monitors.core import run_monitors
from airflow_provider_dango.warehouse import connect, for_project
from tests.monitors.conftest import AS_OF, write_monitors, write_table

MONITORS = """
monitors:
  - name: revenue
    source_table: raw_mini.orders
    value_expression: sum(amount)
    time_column: created_at
    drill_down: [currency]
  - name: steady_orders
    source_table: raw_mini.steady
    value_expression: count(*)
    time_column: created_at
    drill_down: [currency]
  - name: orders_count
    source_table: raw_mini.orders
    value_expression: count(*)
    filter: currency <> 'USD'
    time_column: created_at
"""


def by_name(results):
    return {r.name: r for r in results}


def test_planted_drop_is_flagged_with_driver_and_controls_stay_normal(mini, capsys):
    write_monitors(mini, MONITORS)
    assert main(["monitors", "run", "--json", "--as-of", AS_OF, "--project-dir", str(mini)]) == 0
    out = json.loads(capsys.readouterr().out)
    results = {r["name"]: r for r in out["results"]}
    revenue = results["revenue"]
    assert set(revenue) == {"name", "status", "value", "baseline", "change_pct", "score", "method", "bucket_start",
                            "trend", "drivers", "error"}
    assert set(revenue["trend"]) == {"direction", "p_value"}
    assert set(revenue["drivers"][0]) == {"dimension", "value", "change_abs", "share_of_change"}
    assert revenue["status"] == "flagged"
    assert revenue["method"] == "mad"
    assert revenue["bucket_start"] == "2026-11-20T00:00:00"
    assert revenue["change_pct"] < -25
    assert (revenue["drivers"][0]["dimension"], revenue["drivers"][0]["value"]) == ("currency", "EUR")
    assert revenue["drivers"][0]["share_of_change"] > 0.7
    assert results["steady_orders"]["status"] == "normal"
    assert results["steady_orders"]["drivers"] == []
    # Two filters on one table share a scan; the filtered monitor still sees the EUR drop.
    assert results["orders_count"]["status"] == "flagged"


def test_rerunning_a_logical_date_replaces_history_rows(mini):
    write_monitors(mini, MONITORS)
    project = load_project(mini)
    run_monitors(project, as_of=AS_OF, run_id="first")
    with connect(for_project(project).path, read_only=True) as con:
        before = con.execute("SELECT count(*) FROM dango.dango_metric_history").fetchone()[0]
    results = run_monitors(project, as_of=AS_OF, run_id="second")
    with connect(for_project(project).path, read_only=True) as con:
        after = con.execute("SELECT count(*) FROM dango.dango_metric_history").fetchone()[0]
        dup = con.execute(
            "SELECT count(*) FROM (SELECT monitor, bucket_start, dimension, dimension_value FROM "
            "dango.dango_metric_history GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        runs = con.execute("SELECT DISTINCT run_id FROM dango.dango_metric_history").fetchall()
    assert before == after > 0
    assert dup == 0
    assert runs == [("second",)]
    assert by_name(results)["revenue"].status == "flagged"


def test_sql_error_in_one_monitor_leaves_the_others(mini):
    write_monitors(mini, MONITORS + """
  - name: broken
    source_table: raw_mini.orders
    value_expression: sum(no_such_column)
    time_column: created_at
  - name: missing_table
    source_table: raw_mini.nope
    value_expression: count(*)
""")
    results = by_name(run_monitors(load_project(mini), as_of=AS_OF))
    assert results["broken"].status == "error"
    assert "no_such_column" in results["broken"].error
    assert results["missing_table"].status == "error"
    assert "nope" in results["missing_table"].error
    assert results["revenue"].status == "flagged"
    assert results["steady_orders"].status == "normal"


def test_empty_table_and_short_history_are_insufficient_never_a_silent_pass(mini):
    write_monitors(mini, """
monitors:
  - name: empty_rows
    source_table: raw_mini.empty
    value_expression: count(*)
    time_column: created_at
  - name: empty_snapshot
    source_table: raw_mini.empty
    value_expression: max(id)
""")
    results = by_name(run_monitors(load_project(mini), as_of=AS_OF))
    assert results["empty_rows"].status == "insufficient_history"
    assert results["empty_rows"].value == 0
    assert results["empty_snapshot"].status == "insufficient_history"
    assert results["empty_snapshot"].value == 0  # NULL (max over no rows) counts as 0


def test_zero_baseline_and_drop_to_zero(mini):
    project = load_project(mini)
    import datetime as dt

    rows = []
    for back in range(1, 60):
        day = dt.datetime(2026, 11, 20) - dt.timedelta(days=back)
        rows += [(i, "x", 0.0, day) for i in range(10)]  # the day under test has no rows at all
    write_table(for_project(project).path, "raw_mini", "zeros", rows,
                "id INTEGER, currency VARCHAR, amount DOUBLE, created_at TIMESTAMP")
    write_monitors(mini, """
monitors:
  - name: zero_amounts
    source_table: raw_mini.zeros
    value_expression: sum(amount)
    time_column: created_at
  - name: rows_vanish
    source_table: raw_mini.zeros
    value_expression: count(*)
    time_column: created_at
""")
    results = by_name(run_monitors(project, as_of=AS_OF))
    assert results["zero_amounts"].status == "normal"  # 0 vs a baseline of 0: no change
    assert results["zero_amounts"].change_pct == 0
    assert results["rows_vanish"].status == "flagged"  # an empty day is 0 rows, not a missing value
    assert results["rows_vanish"].value == 0
    assert results["rows_vanish"].change_pct == -100


def test_time_zone_aware_column_is_bucketed_in_utc(mini):
    import datetime as dt

    project = load_project(mini)
    berlin = dt.timezone(dt.timedelta(hours=1))
    # 00:30 Berlin on the 21st is 23:30 UTC on the 20th: it belongs to the bucket under test.
    rows = [(1, "EUR", 1.0, dt.datetime(2026, 11, 21, 0, 30, tzinfo=berlin)),
            (2, "EUR", 1.0, dt.datetime(2026, 11, 20, 0, 30, tzinfo=berlin))]
    write_table(for_project(project).path, "raw_mini", "tz", rows,
                "id INTEGER, currency VARCHAR, amount DOUBLE, created_at TIMESTAMPTZ")
    write_monitors(mini, """
monitors:
  - name: tz_rows
    source_table: raw_mini.tz
    value_expression: count(*)
    time_column: created_at
""")
    result = run_monitors(project, as_of="2026-11-21T01:00:00+01:00")[0]  # = 00:00 UTC: judges the 20th
    assert result.bucket_start.isoformat() == "2026-11-20T00:00:00"
    assert result.value == 1


def test_dango_snapshot_monitor_compare_modes(mini):
    """Monitors without a time column record one value per run, as Dango does; pct_change follows its modes."""
    project = load_project(mini)
    write_monitors(mini, """
metrics:
  - name: wow
    source_table: raw_mini.counter
    value_expression: sum(v)
    compare: week_over_week
    warn_threshold: 20
  - name: prior
    source_table: raw_mini.counter
    value_expression: sum(v)
    compare: prior_period
    alert_threshold: 20
  - name: rolling
    source_table: raw_mini.counter
    value_expression: sum(v)
    compare: rolling_7day_avg
    alert_threshold: 20
""")
    runs = [("2026-11-10 06:00:00", 100.0), ("2026-11-13 06:00:00", 200.0), ("2026-11-16 06:00:00", 110.0),
            ("2026-11-17 06:00:00", 115.0)]
    for as_of, value in runs:
        write_table(for_project(project).path, "raw_mini", "counter", [(value,)], "v DOUBLE")
        results = by_name(run_monitors(project, as_of=as_of))
    assert results["prior"].baseline == 110.0 and results["prior"].status == "normal"  # +4.5%
    # Nearest to 7 days before the 17th (the 10th): 100 -> +15%.
    assert results["wow"].baseline == 100.0 and results["wow"].status == "normal"
    assert results["wow"].change_pct == pytest.approx(15.0)
    # Mean of the values of the 7 days before, the value under test excluded (Dango includes it).
    assert results["rolling"].baseline == pytest.approx((100 + 200 + 110) / 3)
    assert results["rolling"].status == "normal"  # -15.9% < 20%


def test_slow_rise_is_trending_with_a_forecast_not_flagged(mini):
    import datetime as dt
    import random

    project = load_project(mini)
    rng = random.Random(5)
    rows, i = [], 0
    for back in range(70, -1, -1):
        day = dt.datetime(2026, 11, 20) - dt.timedelta(days=back)
        for _ in range(int(100 + 0.3 * (70 - back) + rng.gauss(0, 1))):
            i += 1
            rows.append((i, day + dt.timedelta(hours=rng.randint(0, 23))))
    write_table(for_project(project).path, "raw_mini", "rising", rows, "id INTEGER, created_at TIMESTAMP")
    write_monitors(mini, """
monitors:
  - name: rising_rows
    source_table: raw_mini.rising
    time_column: created_at
    seasonality: none
    lookback_days: 28
""")
    result = run_monitors(project, as_of=AS_OF)[0]
    assert result.status == "trending"
    assert result.trend.direction == "increasing" and result.trend.p_value < 0.05
    assert result.forecast is not None and result.forecast > result.bucket_start
    assert result.as_dict()["trend"] == {"direction": "increasing", "p_value": result.as_dict()["trend"]["p_value"]}


def test_cardinality_cap_folds_the_rest_into_other(mini):
    write_monitors(mini, """
monitors:
  - name: capped
    source_table: raw_mini.steady
    value_expression: count(*)
    time_column: created_at
    drill_down: [currency, id]
    max_dimension_values: 2
""")
    project = load_project(mini)
    result = run_monitors(project, as_of=AS_OF)[0]
    assert result.status == "normal"
    with connect(for_project(project).path, read_only=True) as con:
        values = con.execute(
            "SELECT dimension, list(DISTINCT dimension_value ORDER BY dimension_value) FROM dango.dango_metric_history "
            "WHERE monitor = 'capped' AND dimension <> '__total__' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        totals = con.execute(
            "SELECT count(*) FROM (SELECT bucket_start, dimension, sum(value) AS s FROM dango.dango_metric_history "
            "WHERE monitor = 'capped' GROUP BY ALL) a JOIN (SELECT bucket_start, value FROM "
            "dango.dango_metric_history WHERE monitor = 'capped' AND dimension = '__total__') t USING (bucket_start) "
            "WHERE a.dimension <> '__total__' AND a.s <> t.value"
        ).fetchone()[0]
    by_dim = dict(values)
    assert len(by_dim["currency"]) == 3 and {"EUR", "other"} <= set(by_dim["currency"])
    assert "other" in by_dim["id"] and len(by_dim["id"]) == 3  # 2 most frequent ids + other
    assert totals == 0  # folding loses no rows: every dimension still sums to the total
