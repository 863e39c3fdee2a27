"""`dbt test` with metric_within_baseline as a CI user runs it, on DuckDB and PostgreSQL: a flagged segment fails with
rows that name it, insufficient history warns (never a silent pass), NaN is an error and an all-NULL bucket is not 0."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from tests.monitors.dual import DualProject, poisson_days
from tests.monitors.test_monitors_segments import AS_OF, COLUMNS, END, poisson

TESTS = """version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: vanish
        data_tests:
          - dango_monitors.metric_within_baseline:
              name: vanish_rows
              arguments: {monitor: vanish_rows, time_column: created_at, drill_down: [status], as_of: "AS_OF"}
              config: {store_failures: true}
          - dango_monitors.metric_within_baseline:
              name: stale_rows
              arguments: {monitor: stale_rows, time_column: created_at, as_of: "2027-03-01 00:00:00"}
              config: {store_failures: true}
          - dango_monitors.metric_within_baseline:
              name: stale_rows_fail
              arguments: {monitor: stale_rows_fail, time_column: created_at, as_of: "2027-03-01 00:00:00",
                          insufficient_history: fail}
          - dango_monitors.metric_within_baseline:
              name: stale_rows_pass
              arguments: {monitor: stale_rows_pass, time_column: created_at, as_of: "2027-03-01 00:00:00",
                          insufficient_history: pass}
      - name: new_small
        data_tests:
          - dango_monitors.metric_within_baseline:
              name: new_small_rows
              arguments: {monitor: new_small_rows, time_column: created_at, drill_down: [status], as_of: "AS_OF"}
      - name: odd
        data_tests:
          - dango_monitors.metric_within_baseline:
              name: nan_amount
              arguments: {monitor: nan_amount, value_expression: sum(amount), time_column: created_at,
                          as_of: "AS_OF"}
              config: {store_failures: true}
          - dango_monitors.metric_within_baseline:
              name: null_amount
              arguments: {monitor: null_amount, value_expression: sum(spare), time_column: created_at,
                          as_of: "AS_OF"}
              config: {store_failures: true}
""".replace("AS_OF", AS_OF)


def odd_rows() -> list[tuple]:
    """60 days of 20 rows with amount 1.0 and spare 2.0; on the day under test one amount is NaN and spare is NULL."""
    rows = []
    for back in range(60, -1, -1):
        day = dt.datetime.combine(END - dt.timedelta(days=back), dt.time(12))
        for i in range(20):
            nan = back == 0 and i == 0
            rows.append((len(rows), "x", float("nan") if nan else 1.0, None if back == 0 else 2.0, day))
    return rows


@pytest.fixture(params=["duckdb", "postgres"])
def project(request, tmp_path):
    pg = request.getfixturevalue("postgres_db") if request.param == "postgres" else None
    p = DualProject(tmp_path / "ci", request.param, pg)
    rng = random.Random(3)
    steady = lambda r: r.choice([10, 11, 11, 12])  # noqa: E731
    p.load("raw", "vanish", COLUMNS, poisson_days(rng, END, 60, {"a": poisson(40), "b": steady}, {"b": 0}))
    p.load("raw", "new_small", COLUMNS, poisson_days(rng, END, 60, {"a": poisson(40), "b": poisson(10)}, {"c": 4}))
    p.load("raw", "odd", [*COLUMNS[:3], ("spare", "double precision"), ("created_at", "timestamp")], odd_rows())
    (p.root / "models" / "sources.yml").write_text(TESTS)
    return p


def test_dbt_test_names_the_culprit_and_never_passes_silently(project):
    _result, out = project.dbt(["test"], ok=False)
    run = json.loads((project.root / "target" / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[2]: r for r in run["results"]}
    assert status["vanish_rows"]["status"] == "fail"
    assert status["new_small_rows"]["status"] == "pass"
    # insufficient history: a warning by default (in the output and run_results), fail / pass on request.
    assert status["stale_rows"]["status"] == "warn"
    assert status["stale_rows_fail"]["status"] == "fail"
    assert status["stale_rows_pass"]["status"] == "pass"
    assert status["nan_amount"]["status"] == "fail"
    assert status["null_amount"]["status"] == "warn"
    # The reasons are in `dbt test`'s own output, not only "Got N results".
    assert "vanish_rows: flagged - total" in out and "flagged by segment status=b (vanished" in out
    assert "stale_rows: insufficient_history - total: insufficient history, 0 of 6 baseline buckets" in out
    assert "no data in the window" in out
    assert "nan_amount: error - total: the value is nan (NaN or infinite)" in out.replace("NaN (NaN", "nan (NaN")

    audit = "main_dbt_test__audit" if project.target == "duckdb" else "public_dbt_test__audit"
    rows = project.execute(
        f'select dimension, dimension_value, value, score, monitor_status, reason from "{audit}"."vanish_rows" '
        "order by dimension <> '__total__', dimension_value"
    )
    assert [r[:2] for r in rows] == [("__total__", "__total__"), ("status", "b")]
    assert rows[0][4] == "flagged" and "flagged by segment status=b" in rows[0][5]
    assert rows[1][2] == 0 and rows[1][3] < -3 and "vanished, 0 vs baseline" in rows[1][5]

    stale = project.execute(f'select monitor_status, reason from "{audit}"."stale_rows"')
    assert stale[0][0] == "insufficient_history" and "of 6 baseline buckets on the same weekday" in stale[0][1]

    nulls = project.execute(f'select value, monitor_status, reason from "{audit}"."null_amount"')
    assert nulls == [(None, "insufficient_history", nulls[0][2])]  # never 0.00
    assert "the value is NULL" in nulls[0][2]
