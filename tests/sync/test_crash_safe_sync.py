"""A sync killed (SIGKILL) at any point, then run again, leaves each row exactly once, for append, merge and replace.

Each case runs `dango sync` in a subprocess that is killed for real: either by a hook at one point of dlt's work
(crash_driver.py) or from outside by this test while the source is extracting. The re-run is a plain `dango sync`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

DRIVER = Path(__file__).with_name("crash_driver.py")
ORDERS = 300
CUSTOMERS = 40

SOURCE = (
    textwrap.dedent(
        """\
    import os
    import time
    from pathlib import Path

    import dlt


    @dlt.source
    def crashy(disposition: str = "append"):
        hints = {"write_disposition": disposition}
        if disposition == "merge":
            hints["primary_key"] = "id"

        @dlt.resource(**hints)
        def orders(cursor=dlt.sources.incremental("id", initial_value=0) if disposition == "append" else None):
            for i in range(1, ORDERS + 1):
                if i == 150 and os.environ.get("CRASHY_MARKER"):
                    Path(os.environ["CRASHY_MARKER"]).write_text("extracting")
                    time.sleep(120)  # killed here by the test
                yield {"id": i, "amount": i * 1.5, "lines": [{"sku": f"a{i}"}, {"sku": f"b{i}"}]}

        @dlt.resource(**hints)
        def customers(cursor=dlt.sources.incremental("id", initial_value=0) if disposition == "append" else None):
            for i in range(1, CUSTOMERS + 1):
                yield {"id": i, "name": f"c{i}"}

        return orders, customers
    """
    )
    .replace("ORDERS", str(ORDERS))
    .replace("CUSTOMERS", str(CUSTOMERS))
)


DBT_PROJECT = "name: crashy\nversion: '1.0'\nconfig-version: 2\nprofile: crashy\n"
PROFILES = """crashy:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DANGO_WAREHOUSE') }}"
"""


def make_project(root: Path, disposition: str) -> Path:
    """A project with one source; its dbt target names the warehouse (`data/warehouse.duckdb`, dango's default)."""
    (root / ".dango").mkdir(parents=True)
    (root / "dbt").mkdir()
    (root / "dbt" / "dbt_project.yml").write_text(DBT_PROJECT)
    (root / "dbt" / "profiles.yml").write_text(PROFILES)
    (root / "pipelines").mkdir()
    (root / "pipelines" / "__init__.py").write_text("")
    (root / "pipelines" / "crashy.py").write_text(SOURCE)
    (root / ".dango" / "sources.yml").write_text(
        f"sources:\n  - name: crashy\n    function: pipelines.crashy:crashy\n    args: {{disposition: {disposition}}}\n"
    )
    return root


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(REPO), **extra)
    env.pop("CRASHY_MARKER", None)
    env.update(extra)
    return env


def sync(project: Path, tmp: Path, kill_point: str = "none") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), kill_point, str(project), "crashy"],
        env=env_for(tmp),
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_each_row_once(project: Path) -> None:
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        orders = con.execute("SELECT count(*), count(DISTINCT id) FROM raw_crashy.orders").fetchone()
        customers = con.execute("SELECT count(*), count(DISTINCT id) FROM raw_crashy.customers").fetchone()
        lines = con.execute(
            """SELECT count(*), count(DISTINCT l.sku), count(o._dlt_id)
               FROM raw_crashy.orders__lines l LEFT JOIN raw_crashy.orders o ON o._dlt_id = l._dlt_parent_id"""
        ).fetchone()
    assert orders == (ORDERS, ORDERS)
    assert customers == (CUSTOMERS, CUSTOMERS)
    assert lines == (2 * ORDERS, 2 * ORDERS, 2 * ORDERS)  # no orphan and no doubled nested row


def assert_nothing_left(project: Path, tmp: Path) -> None:
    assert list(tmp.iterdir()) == [], "the sync left files in the temp dir"
    state = project / ".dango" / "state" / "dlt"
    assert list((state / "snapshots" / "dango_crashy").iterdir()) == []
    load = state / "pipelines" / "dango_crashy" / "load"
    assert [p for sub in ("new", "normalized", "loaded") for p in (load / sub).iterdir()] == []
    normalize = state / "pipelines" / "dango_crashy" / "normalize"
    assert sorted(p.name for p in normalize.iterdir() if not p.name.startswith(".")) == ["extracted"]
    assert list((normalize / "extracted").iterdir()) == []


def rerun(project: Path) -> dict:
    """The next, ordinary sync, in this process."""
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.sync import run_sync

    return run_sync(load_project(project), "crashy").as_dict()


KILL_POINTS = [
    "before_normalize",  # extracted, state committed locally, nothing normalized
    "before_load",  # normalized package, nothing loaded
    "job_committed_unrecorded",  # one table's rows committed in DuckDB, dlt has not recorded it
    "job_recorded",  # one table loaded and recorded, the others not
    "load_recorded",  # every table loaded and `_dlt_loads` written; dlt's package not yet moved
    "mid_atomic_save",  # dlt's temp file written into `load/normalized`, not yet renamed into its package
    "after_load",  # dlt finished; dango had not cleaned up
]
CASES = [("append", point) for point in KILL_POINTS] + [
    (disposition, point)
    for disposition in ("merge", "replace")
    for point in ("job_committed_unrecorded", "load_recorded")
]


@pytest.mark.parametrize(("disposition", "kill_point"), CASES)
def test_killed_sync_rerun_loads_each_row_once(tmp_path: Path, disposition: str, kill_point: str) -> None:
    project = make_project(tmp_path / "p", disposition)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed = sync(project, tmp, kill_point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    result = rerun(project)
    assert_each_row_once(project)
    assert_nothing_left(project, tmp)
    if kill_point == "job_recorded":
        assert len(result["recovered_load_ids"]) == 1
        if disposition == "append":
            assert result["load_ids"] == []  # the incremental cursor had moved: nothing new to extract
            rerun(project)
            assert_each_row_once(project)


@pytest.mark.parametrize("disposition", ["append", "merge"])
def test_dango_sync_killed_from_outside_mid_extract(tmp_path: Path, disposition: str) -> None:
    project = make_project(tmp_path / "p", disposition)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    assert sync(project, tmp).returncode == 0  # a first, complete load
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_dango.cli", "sync", "crashy", "--project-dir", str(project)],
        env=env_for(tmp, CRASHY_MARKER=str(marker)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        assert time.monotonic() < deadline, "the source never reached the kill point"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    rerun(project)
    assert_each_row_once(project)
    assert_nothing_left(project, tmp)
