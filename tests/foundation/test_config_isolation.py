"""Config that hides good config (issue 16, item 6): one bad webhook, a duplicate key or an empty file is reported in
one FILE:LINE line and leaves every well-formed entry in place; a broken source is one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from airflow_provider_dango.config import load_project
from airflow_provider_dango.config.monitors import load_monitors
from tests.conftest import REPO
from tests.foundation.test_config import make_project

SCHEDULE = """\
schedules:
  - name: shop_daily
    cron: daily
    sources: [shop]
"""


PROFILES = """t:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DANGO_WAREHOUSE') }}"
"""


def with_warehouse(root: Path) -> Path:
    """The dbt target names the warehouse (dango's default `data/warehouse.duckdb`): needed by sync and --deep."""
    (root / "dbt" / "profiles.yml").write_text(PROFILES)
    return root


def messages(root: Path) -> list[str]:
    return [str(p) for p in load_project(root).problems]


def test_a_webhook_with_a_plain_text_secret_drops_only_itself(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        SCHEDULE
        + """\
notifications:
  on_failure: false
  webhooks:
    - name: ops
      url: ${OPS_URL}
    - name: signed
      url: ${SIGNED_URL}
      secret: hunter2
    - name: team
      url: ${TEAM_URL}
      format: slack
""",
    )
    project = load_project(root)
    assert [w.name for w in project.notifications.webhooks] == ["ops", "team"]
    assert project.notifications.on_failure is False  # the rest of the block is kept too
    (error,) = [str(p) for p in project.errors]
    assert error.startswith(".dango/schedules.yml:12: notifications.webhooks[1].secret:")
    assert "webhook 'signed' is left out" in error and "hunter2" not in error
    from airflow_provider_dango.notifications import stale_check_dag

    assert stale_check_dag(project) is not None  # the stale DAG survives


def test_a_duplicate_key_skips_its_entry_and_keeps_the_others(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        """\
schedules:
  - name: first
    cron: daily
    sources: [shop]
  - name: twice
    cron: daily
    cron: weekly
    sources: [shop]
  - name: third
    cron: weekly
    sources: [crm]
notifications:
  on_stale: false
  on_stale: true
  webhooks:
    - name: ops
      url: ${OPS_URL}
""",
    )
    project = load_project(root)
    assert [s.name for s in project.schedules] == ["first", "third"]
    assert "twice" in project.broken_schedules
    assert [w.name for w in project.notifications.webhooks] == ["ops"]
    assert [str(p) for p in project.errors] == [
        ".dango/schedules.yml:7: schedules[1].cron: duplicate key 'cron'; its list entry is skipped",
        ".dango/schedules.yml:14: notifications.on_stale: duplicate key 'on_stale'; the key is ignored",
    ]


def test_a_duplicate_key_in_sources_and_monitors(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        SCHEDULE,
        sources="""\
sources:
  - name: shop
    function: pipelines.shop_source:shop
  - name: crm
    function: pipelines.shop_source:shop
    function: pipelines.shop_source:other
""",
    )
    (root / ".dango" / "monitors.yml").write_text(
        "monitors:\n"
        "  - name: a\n    source_table: raw_shop.orders\n    value_expression: count(*)\n"
        "  - name: b\n    source_table: raw_shop.orders\n    value_expression: count(*)\n    value_expression: sum(x)\n"
    )
    project = load_project(root)
    assert list(project.sources) == ["shop"]
    assert any(m.startswith(".dango/sources.yml:6: sources[1].function: duplicate key") for m in messages(root))
    monitors = load_monitors(root)
    assert [m.name for m in monitors.monitors] == ["a"]
    assert [str(p) for p in monitors.problems] == [
        ".dango/monitors.yml:8: monitors[1].value_expression: duplicate key 'value_expression'; its list entry is "
        "skipped"
    ]


def test_an_empty_schedules_file_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path, "")
    (warning,) = [str(p) for p in load_project(root).warnings]
    assert warning == ".dango/schedules.yml: warning: the file is empty: no schedules and no notifications are defined"
    out = dango("validate", "--project-dir", str(root))
    assert out.returncode == 0 and "the file is empty" in out.stdout


def dango(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow_provider_dango.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(REPO / ".airflow-test")},
    )


BROKEN_SOURCES = """\
sources:
  - name: raises
    function: pipelines.broken:raises
  - name: missing
    function: pipelines.broken:nope
"""
BROKEN_MODULE = """\
import dlt


def raises():
    raise RuntimeError("the API token is not set")
"""


def test_broken_sources_give_one_line_each(tmp_path: Path) -> None:
    root = make_project(tmp_path, SCHEDULE, sources=BROKEN_SOURCES)
    (root / "pipelines" / "broken.py").write_text(BROKEN_MODULE)
    deep = dango("validate", "--deep", "--project-dir", str(root))
    assert deep.returncode == 1
    assert "Traceback" not in deep.stderr + deep.stdout
    assert (
        ".dango/sources.yml: source 'raises': pipelines.broken:raises raised RuntimeError: the API token is not set"
        in deep.stderr
    )
    assert ".dango/sources.yml: source 'missing': 'pipelines.broken' has no callable 'nope'" in deep.stderr
    for name, expected in [
        ("raises", "error: source 'raises': pipelines.broken:raises raised RuntimeError: the API token is not set"),
        ("missing", "error: source 'missing': 'pipelines.broken' has no callable 'nope'"),
        ("rases", "error: unknown source 'rases' (did you mean 'raises'?); known: missing, raises"),
    ]:
        out = dango("sync", name, "--project-dir", str(root))
        assert (out.returncode, out.stderr.strip()) == (1, expected)


def test_a_source_that_fails_while_extracting_is_one_line(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        SCHEDULE,
        sources="sources:\n  - name: flaky\n    function: pipelines.flaky:flaky\n",
    )
    with_warehouse(root)
    (root / "pipelines" / "flaky.py").write_text(
        "import dlt\n\n\n@dlt.resource\ndef flaky():\n    yield {'id': 1}\n    raise ConnectionError('API went away')\n"
    )
    out = dango("sync", "flaky", "--project-dir", str(root))
    assert out.returncode == 1
    assert out.stderr.strip() == "error: sync flaky: extract failed: ConnectionError: API went away"


def test_validate_deep_binds_monitor_sql_against_the_warehouse(tmp_path: Path) -> None:
    import duckdb

    root = with_warehouse(make_project(tmp_path, SCHEDULE))
    (root / ".dango" / "monitors.yml").write_text(
        "monitors:\n"
        "  - name: revenue\n    source_table: raw_shop.orders\n    value_expression: sum(amount)\n"
        "  - name: bad_sql\n    source_table: raw_shop.orders\n    value_expression: sum(amount) +\n"
        "  - name: no_table\n    source_table: raw_shop.nope\n    value_expression: count(*)\n"
        "  - name: bad_filter\n    source_table: raw_shop.orders\n    filter: no_such_column > 1\n"
    )
    shallow = dango("validate", "--project-dir", str(root))
    assert shallow.returncode == 0, shallow.stderr
    (root / "data").mkdir()
    with duckdb.connect(str(root / "data" / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA raw_shop; CREATE TABLE raw_shop.orders (id INT, amount DOUBLE)")
    deep = dango("validate", "--deep", "--project-dir", str(root))
    assert deep.returncode == 1
    lines = deep.stderr.strip().splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [".dango/monitors.yml:5", "monitors[1] ('bad_sql')"],
        [".dango/monitors.yml:8", "monitors[2] ('no_table')"],
        [".dango/monitors.yml:11", "monitors[3] ('bad_filter')"],
    ]
    assert "raw_shop.nope" in lines[1] and "does not exist" in lines[1]
    assert "no_such_column" in lines[2]
    assert "Traceback" not in deep.stderr
