"""monitors.yml loading (Dango's format unchanged, errors with file:line), the dbt test agreeing with the CLI,
suggestions, trend statistics, drivers, and the monitors task in generated DAGs."""

from __future__ import annotations

import random
from pathlib import Path

from airflow_provider_dango.config import load_project
from airflow_provider_dango.config.monitors import load_monitors
from airflow_provider_dango.monitors.core import drivers, run_monitors
from airflow_provider_dango.monitors.stats import trend
from tests.monitors.conftest import AS_OF, write_monitors

DANGO_FILE = """enabled: true
metrics:
  - name: revenue
    source_table: marts.fct_orders
    value_expression: SUM(amount)
    filter: status = 'completed'
    compare: rolling_7day_avg
    warn_threshold: 15
    drill_down: [currency]
"""


def test_dango_file_loads_unchanged(tmp_path: Path) -> None:
    (tmp_path / ".dango").mkdir()
    (tmp_path / ".dango" / "monitors.yml").write_text(DANGO_FILE)
    config = load_monitors(tmp_path)
    assert not config.problems
    m = config.monitors[0]
    assert (m.compare, m.alert_threshold, m.drill_down) == ("rolling_7day_avg", 15.0, ["currency"])
    assert m.resolved_method == "pct_change"  # no time column: Dango's behaviour
    assert m.macro_config()["seasonality"] == "none"


def test_bad_entries_name_file_line_key_and_keep_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / ".dango").mkdir()
    (tmp_path / ".dango" / "monitors.yml").write_text(
        DANGO_FILE
        + """  - name: typo
    source_table: marts.fct_orders
    time_colum: created_at
  - name: bad_method
    source_table: marts.fct_orders
    method: magic
  - name: no_schema
    source_table: orders
"""
    )
    config = load_monitors(tmp_path)
    assert [m.name for m in config.monitors] == ["revenue"]
    text = "\n".join(str(p) for p in config.problems)
    hint = "unknown key (did you mean 'time_column'?) (in 'typo')"
    assert f".dango/monitors.yml:12: metrics[1].time_colum: {hint}" in text
    assert ".dango/monitors.yml:15: metrics[2].method:" in text
    assert "use schema.table" in text
    assert set(config.broken) == {"typo", "bad_method", "no_schema"}


def test_invalid_config_entries_report_status_error_without_stopping_others(mini) -> None:
    write_monitors(mini, """
monitors:
  - name: ok_rows
    source_table: raw_mini.steady
    time_column: created_at
  - name: broken_cfg
    source_table: raw_mini.steady
    sensitivity: -1
""")
    results = {r.name: r for r in run_monitors(load_project(mini), as_of=AS_OF)}
    assert results["ok_rows"].status == "normal"
    assert results["broken_cfg"].status == "error"
    assert "sensitivity" in results["broken_cfg"].error


def test_dbt_test_and_cli_agree(mini) -> None:
    """The same monitors through `dbt test` (generic test) and through `dango monitors run`: same verdicts."""
    from airflow_provider_dango.dbt import run_dbt

    monitors = {
        "revenue": ("orders", "sum(amount)", "[currency]", None),
        "eur_rows": ("orders", "count(*)", "[]", "currency = 'EUR'"),
        "usd_rows": ("orders", "count(*)", "[]", "currency = 'USD'"),
        "steady_rows": ("steady", "count(*)", "[currency]", None),
        "steady_avg": ("steady", "avg(amount)", "[]", None),
    }
    yml = "monitors:\n"
    per_table: dict[str, str] = {}
    for name, (table, expr, dims, flt) in monitors.items():
        yml += (f"  - name: {name}\n    source_table: raw_mini.{table}\n    value_expression: {expr}\n"
                f"    time_column: created_at\n    drill_down: {dims}\n")
        tests_for = (f"          - dango_monitors.metric_within_baseline:\n              monitor: {name}\n"
                     f"              value_expression: {expr}\n              time_column: created_at\n"
                     f"              drill_down: {dims}\n              as_of: '{AS_OF}'\n")
        if flt:
            yml += f"    filter: \"{flt}\"\n"
            tests_for += f"              filter: \"{flt}\"\n"
        per_table[table] = per_table.get(table, "") + tests_for
    tests = "".join(f"      - name: {t}\n        data_tests:\n{body}" for t, body in per_table.items())
    write_monitors(mini, yml)
    (mini / "dbt" / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: raw_mini\n    schema: raw_mini\n    tables:\n" + tests
    )
    project = load_project(mini)
    cli = {r.name: r.status for r in run_monitors(project, as_of=AS_OF)}
    from airflow_provider_dango.dbt import DbtCommandError

    try:
        result = run_dbt(project, ["test"])
        dbt_results = result.result
    except DbtCommandError:
        from dbt.cli.main import dbtRunner

        from airflow_provider_dango.dbt import dbt_env, patched_env, profiles_folder

        with patched_env(dbt_env(project)):
            dbt_results = dbtRunner().invoke(
                ["test", "--project-dir", str(project.dbt_project_dir), "--profiles-dir", str(profiles_folder(project))]
            ).result
    failed = set()
    for r in dbt_results:
        kwargs = r.node.test_metadata.kwargs
        if str(r.status) == "fail":
            failed.add(kwargs["monitor"])
    assert len(list(dbt_results)) == len(monitors)
    assert failed == {name for name, status in cli.items() if status == "flagged"}
    assert failed >= {"revenue", "eur_rows"}
    assert "steady_rows" not in failed


def test_suggest_writes_row_count_and_freshness(mini) -> None:
    from airflow_provider_dango.monitors.suggest import suggest_monitors, write_suggestions

    project = load_project(mini)
    suggestions = suggest_monitors(project)
    names = {s["name"] for s in suggestions}
    assert {"mini_orders_row_count", "mini_orders_freshness_hours", "mini_empty_row_count"} <= names
    orders = next(s for s in suggestions if s["name"] == "mini_orders_row_count")
    assert orders["time_column"] == "created_at"
    assert write_suggestions(project, suggestions)
    assert write_suggestions(project, suggestions) == []  # idempotent
    config = load_monitors(mini)
    assert not config.problems
    results = {r.name: r for r in run_monitors(project, as_of=AS_OF)}
    assert results["mini_steady_row_count"].status == "normal"
    assert results["mini_orders_freshness_hours"].status == "insufficient_history"
    assert results["mini_orders_freshness_hours"].error is None


def test_trend_significance() -> None:
    rng = random.Random(1)
    rising = [100 + 2 * i + rng.gauss(0, 3) for i in range(40)]
    flat = [100 + rng.gauss(0, 3) for _ in range(40)]
    up = trend(rising)
    assert up.direction == "increasing" and up.p_value < 0.01 and up.slope > 1
    assert trend(flat).direction == "stable"
    # Weekly seasonality alone is not a trend.
    weekly = [100 * (1.3 if i % 7 in (5, 6) else 1.0) + rng.gauss(0, 2) for i in range(56)]
    assert trend(weekly, [i % 7 for i in range(56)]).direction == "stable"


def test_drivers_new_and_vanished_segments() -> None:
    total = ("m", None, "__total__", "__total__", 100.0, 200.0)
    segments = [
        ("m", None, "country", "DE", 0.0, 120.0),  # vanished
        ("m", None, "country", "FR", 80.0, 80.0),
        ("m", None, "country", "NL", 20.0, 0.0),  # new
        ("m", None, "status", "completed", 100.0, 200.0),  # the only value of its dimension: says nothing
    ]
    found = drivers(total, segments)
    assert (found[0].dimension, found[0].value) == ("country", "DE")
    assert found[0].change_abs == -120 and abs(found[0].share_of_change - 1.2) < 1e-9
    assert ("country", "NL") in {(d.dimension, d.value) for d in found}
    assert all(d.dimension != "status" for d in found)


def test_every_sync_dag_has_a_monitors_task_after_dbt(built_shop: Path) -> None:
    from airflow_provider_dango.dag_factory import build_dags

    dags = build_dags(built_shop)
    dag = dags["dango_shop_daily"]
    task = dag.get_task("monitors")
    upstream = task.upstream_task_ids
    assert upstream and all(t.startswith("dbt") for t in upstream)
    # none_failed: runs when drift skipped the models of a blocked source, but a failed dbt build still stops it
    # (upstream_failed), so the run fails.
    assert task.trigger_rule == "none_failed"


def test_dango_spelling_is_an_alias() -> None:
    from airflow_provider_dango.cli import build_parser

    args = build_parser().parse_args(["monitor", "run", "--json", "--as-of", "2026-11-21T06:00:00Z"])
    assert args.json and args.as_of == "2026-11-21T06:00:00Z"
    assert build_parser().parse_args(["monitors", "suggest", "--write"]).write


def test_validate_reports_monitors_yml(tmp_path: Path, capsys) -> None:
    from airflow_provider_dango.cli import main
    from tests.conftest import copy_project

    project = copy_project(tmp_path / "shop")
    bad = "monitors:\n  - name: x\n    source_table: a.b\n    sensitivty: 2\n"
    (project / ".dango" / "monitors.yml").write_text(bad)
    assert main(["validate", "--project-dir", str(project)]) == 1
    err = capsys.readouterr().err
    assert ".dango/monitors.yml:4: monitors[0].sensitivty: unknown key (did you mean 'sensitivity'?)" in err
