"""Issue 16 item 5: commands that share one DuckDB file wait for each other (a bounded wait, reported with who holds
the lock), and a file held open by a program outside dango gives one clear line, from every command and DAG task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_dango.cli import main
from tests.monitors.conftest import AS_OF, make_project

DANGO = str(Path(sys.executable).with_name("dango"))
MONITORS = """monitors:
  - name: orders_rows
    source_table: raw_mini.orders
    value_expression: count(*)
    time_column: created_at
"""
HOLD_LOCK = (
    "import sys; from pathlib import Path; from airflow_provider_dango.warehouse import warehouse_lock\n"
    "with warehouse_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()\n"
)
HOLD_FILE = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("contention") / "mini")
    (root / ".dango" / "monitors.yml").write_text(MONITORS)
    return root


def holder(script: str, warehouse: Path) -> subprocess.Popen:
    """A process that holds the lock (or the file) until its stdin closes; returns once it holds it."""
    proc = subprocess.Popen([sys.executable, "-c", script, str(warehouse)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() in ("held", "open")
    return proc


def wait_line(proc: subprocess.Popen, seen: list[str]) -> str:
    """Read the command's stderr up to its "waiting for the warehouse lock" line (kept in `seen` too)."""
    for line in proc.stderr:
        seen.append(line)
        if "waiting for the warehouse lock" in line:
            return line
    raise AssertionError(f"no waiting line: {''.join(seen)}")


def test_pii_scan_beside_monitors_run_both_wait_and_succeed(mini: Path) -> None:
    warehouse = mini / "data" / "warehouse.duckdb"
    env = {**os.environ, "DANGO_WAREHOUSE_LOCK_TIMEOUT": "300"}
    lock = holder(HOLD_LOCK, warehouse)  # both commands start while the warehouse is busy, so both must wait
    commands = [[DANGO, "pii", "scan", "--project-dir", str(mini)],
                [DANGO, "monitors", "run", "--as-of", AS_OF, "--json", "--project-dir", str(mini)]]
    procs, stderr = [], [[], []]
    for i, argv in enumerate(commands):
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        line = wait_line(procs[-1], stderr[i])
        assert f"held by -c {warehouse} (pid {lock.pid}, since" in line, line
    lock.stdin.close()
    lock.wait(timeout=60)
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err), before in zip(procs, outputs, stderr, strict=True):
        assert p.returncode == 0, "".join(before) + err
        assert "Traceback" not in err and "Conflicting lock" not in err
    assert '"status": "normal"' in outputs[1][0] or '"status": "flagged"' in outputs[1][0]


def test_a_lock_wait_is_bounded_by_the_project_setting(mini: Path, capsys, monkeypatch) -> None:
    warehouse = mini / "data" / "warehouse.duckdb"
    monkeypatch.delenv("DANGO_WAREHOUSE_LOCK_TIMEOUT", raising=False)
    project_yml = mini / ".dango" / "project.yml"
    original = project_yml.read_text()
    project_yml.write_text(original + "airflow: {warehouse_lock_timeout_s: 1}\n")
    lock = holder(HOLD_LOCK, warehouse)
    try:
        assert main(["pii", "scan", "--project-dir", str(mini)]) == 3
    finally:
        lock.stdin.close()
        lock.wait(timeout=60)
        project_yml.write_text(original)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert err[0].startswith(f"waiting for the warehouse lock on {warehouse} held by -c {warehouse} (pid {lock.pid}")
    assert err[1].startswith(f"error: warehouse {warehouse} stayed locked for 1 s by -c {warehouse} (pid {lock.pid}")
    assert err[1].endswith("gave up (raise airflow.warehouse_lock_timeout_s in .dango/project.yml or "
                           "$DANGO_WAREHOUSE_LOCK_TIMEOUT)")


def test_a_file_held_by_a_foreign_program_is_one_line(mini: Path, capsys) -> None:
    from airflow_provider_dango.hooks.warehouse import hold_for_dbt_task
    from airflow_provider_dango.operators.pii import DangoPiiScanOperator
    from airflow_provider_dango.warehouse import WarehouseInUseError

    warehouse = mini / "data" / "warehouse.duckdb"
    foreign = holder(HOLD_FILE, warehouse)
    try:
        expected = f"error: warehouse {warehouse} is held open by another program ({os.path.realpath(sys.executable)}"
        for argv in (["pii", "scan"], ["monitors", "run", "--as-of", AS_OF], ["drift", "check"], ["sync", "mini"]):
            code = main([*argv, "--project-dir", str(mini)])
            err = capsys.readouterr().err.strip()
            assert code == 3, (argv, err)
            assert err.startswith(expected) and f"(pid {foreign.pid})" in err and "\n" not in err, (argv, err)
        # DAG tasks: dango's steps and the dbt tasks' lock hook fail with the same line (no DuckDB traceback chained).
        op = DangoPiiScanOperator(task_id="pii_scan", project_dir=str(mini), schemas=["raw_mini"])
        for call in (lambda: op.execute({"run_id": "r"}), lambda: hold_for_dbt_task(project_dir=str(mini))):
            with pytest.raises(WarehouseInUseError) as info:
                call()
            assert f"(pid {foreign.pid})" in str(info.value) and info.value.__cause__ is None
    finally:
        foreign.stdin.close()
        foreign.wait(timeout=60)
    assert main(["monitors", "run", "--as-of", AS_OF, "--project-dir", str(mini)]) == 0  # free again: it works
