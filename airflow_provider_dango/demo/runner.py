"""`dango demo`'s runner: a project-local Airflow (SQLite metadata), the manifest, the DAGs exactly as the scheduler
would build them, the first sync schedule run with `dag.test()`, a summary, then one story per pillar
(`airflow_provider_dango.demo.STORIES`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, output_to_file, table


def _prepare_airflow(project_root: Path) -> None:
    """A project-local AIRFLOW_HOME with SQLite metadata; must happen before Airflow is imported."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(project_root / ".airflow")))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    # dag.test() serialises DAGs from the DAGs folder: give it a DAG file that loads this project.
    dags_folder = Path(os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(home / "dags")))
    dags_folder.mkdir(parents=True, exist_ok=True)
    from airflow_provider_dango.scaffold import DAG_FILE

    (dags_folder / "dango_dags.py").write_text(DAG_FILE, encoding="utf-8")
    os.environ["DANGO_PROJECT_DIR"] = str(project_root)
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("AIRFLOW__COSMOS__CACHE_DIR", str(home / "cosmos"))
    with console.status("preparing the local Airflow database (SQLite)..."):
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        err_console.print(proc.stdout[-2000:] + proc.stderr[-2000:], markup=False)
        raise SystemExit("error: `airflow db migrate` failed")


def run(project_dir: str, schedule_name: str | None = None) -> int:
    """The whole demo; returns the exit code."""
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.config import ScheduleType

    project = load(project_dir)
    if project.errors:
        for p in project.errors:
            err_console.print(str(p), markup=False)
        return 1
    sync_schedules = [s for s in project.schedules if s.type == ScheduleType.SYNC and s.enabled]
    enabled = [s for s in project.schedules if s.enabled]
    chosen = next((s for s in project.schedules if s.name == schedule_name), None) if schedule_name else None
    if schedule_name and chosen is None:
        err_console.print(f"error: no schedule named {schedule_name!r}", markup=False)
        return 1
    # A project with no synced sources (an adopted dbt project) runs its first schedule of any type.
    schedule = chosen or (sync_schedules[0] if sync_schedules else (enabled[0] if enabled else None))
    if schedule is None:
        err_console.print("error: no enabled schedule to run", markup=False)
        return 1

    _prepare_airflow(project.root)
    if "DANGO_ALERTS_OUTBOX" not in os.environ:
        # A fresh alert outbox per demo: the dedup window would otherwise hide this run's alerts behind the last demo's.
        outbox = Path(os.environ["AIRFLOW_HOME"]) / "demo_alerts.sqlite"
        outbox.unlink(missing_ok=True)
        os.environ["DANGO_ALERTS_OUTBOX"] = str(outbox)
    log_path = Path(os.environ["AIRFLOW_HOME"]) / "demo.log"
    with output_to_file(log_path) as terminal:
        from airflow_provider_dango.dbt import build_manifest

        with terminal.status("building the dbt manifest (dbt deps + dbt parse)..."):
            build_manifest(project)

        from airflow_provider_dango.dag_factory import build_dags

        dags = build_dags(project.root)
        dag = dags[schedule.dag_id]
        t0 = time.monotonic()
        with terminal.status(f"running DAG {dag.dag_id} ({len(dag.tasks)} tasks) with dag.test()..."):
            dag_run = dag.test()
        elapsed = time.monotonic() - t0
    console.print(f"Airflow and dbt logs: {log_path}")
    state = str(getattr(dag_run, "state", "unknown"))
    colour = "green" if state == "success" else "red"
    console.print(f"DAG run finished: [{colour}]{state}[/] in {elapsed:.0f} s")
    summarize(project, dag_run)
    if schedule.type != ScheduleType.SYNC or not schedule.sources:
        # The pillar stories change synced raw tables; a dbt-only schedule has none to change.
        console.print(
            f"schedule {schedule.name} ({schedule.type.value}) syncs no source: the pillar stories are skipped"
        )
        return 0 if state == "success" else 1
    for story in stories():
        story(project, dag, dag_run, console)
    return 0 if state == "success" else 1


def task_states(dag_run: Any) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id
        )
        return {ti.task_id: str(ti.state) for ti in tis}


def xcom_value(dag_run: Any, task_id: str) -> Any:
    """What `task_id` returned in `dag_run` (None when it returned nothing: skipped, failed)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id)
            .filter(XComModel.task_id == task_id, XComModel.key == "return_value")
            .one_or_none()
        )
        return XComModel.deserialize_value(row) if row is not None else None


def model_states(dag_run: Any, states: dict[str, str]) -> dict[str, str]:
    """Model name -> how its dbt work ended in this run, for either `dbt_tasks` layout: the state of Cosmos's
    per-model task, or the node results the one `dbt_build` task returned (models it left out for drift: skipped)."""
    from airflow_provider_dango.cosmos_glue import SINGLE_TASK_ID
    from airflow_provider_dango.operators.drift import DRIFT_TASK_ID, _model_name

    if SINGLE_TASK_ID not in states:
        # Cosmos names a model's task `<model>.run` inside a per-model group, or `<model>_run` when it has no tests.
        return {
            name: state
            for task_id, state in states.items()
            if task_id.endswith(("_run", ".run")) and (name := _model_name(task_id, "dbt"))
        }
    found: dict[str, str] = {}
    returned = xcom_value(dag_run, SINGLE_TASK_ID) or {}
    for uid, status in (returned.get("results") or {}).items():
        if uid.startswith("model."):
            found[uid.rsplit(".", 1)[-1]] = str(status)
    skipped = returned.get("skipped_by_drift")
    if skipped is None and states[SINGLE_TASK_ID] == "skipped":  # every model was behind a blocked source
        skipped = (xcom_value(dag_run, DRIFT_TASK_ID) or {}).get("skipped_models") or []
    found.update(dict.fromkeys(skipped or [], "skipped"))
    return found


def _data_tests(project: Any, dag_run: Any, states: dict[str, str]) -> tuple[int, int]:
    """dbt data tests of this run: (passed, total). With the one `dbt_build` task, from its node results; with
    Cosmos's per-model test tasks, a test task passes only if all its tests do."""
    from airflow_provider_dango.cosmos_glue import SINGLE_TASK_ID
    from airflow_provider_dango.dbt import load_manifest_cached

    if SINGLE_TASK_ID in states:
        results = (xcom_value(dag_run, SINGLE_TASK_ID) or {}).get("results") or {}
        tests = [str(s) for uid, s in results.items() if uid.startswith("test.")]
        return sum(s in ("pass", "warn") for s in tests), len(tests)
    test_tasks = {k: v for k, v in states.items() if k.startswith("dbt.") and k.endswith((".test", "_test"))}
    manifest = load_manifest_cached(project)
    models = {n["name"]: uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    per_model: dict[str, int] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            for uid in node.get("depends_on", {}).get("nodes", []):
                per_model[uid] = per_model.get(uid, 0) + 1
                break  # a relationships test counts once, for its first model
    passed = total = 0
    for task_id, state in test_tasks.items():
        model = task_id.removeprefix("dbt.").removesuffix(".test").removesuffix("_test")
        count = per_model.get(models.get(model, ""), 0)
        total += count
        passed += count if state == "success" else 0
    return passed, total


def rows_loaded(warehouse: Any, con: Any, run_id: str) -> list[tuple[Any, ...]]:
    """(source, table, rows) that dlt loaded in `run_id`; none when no sync ever ran (no `dango.load_stats` yet:
    a `type: dbt` schedule, or a project with no synced sources)."""
    from airflow_provider_dango.warehouse import META_SCHEMA, quote_ident

    if not warehouse.table_exists(META_SCHEMA, "load_stats", con):
        return []
    return con.execute(
        f"SELECT source, table_name, rows_loaded FROM {quote_ident(META_SCHEMA)}.load_stats "
        "WHERE run_id = ? ORDER BY 1, 2",
        [run_id],
    ).fetchall()


def failure_reasons(warehouse: Any, run_id: str, width: int = 300) -> list[tuple[str, str]]:
    """(task, its error in one line) for each failed task of `run_id`, from the audit trail: the cause in the
    terminal, not only in the log file (tasks that never ran because of them are left out)."""
    from airflow_provider_dango.warehouse import META_SCHEMA, quote_ident

    if not warehouse.exists():
        return []
    with warehouse.connect(read_only=True) as con:
        if not warehouse.table_exists(META_SCHEMA, "dango_audit_task_runs", con):
            return []
        rows = con.execute(
            f"SELECT task_id, error_summary FROM {quote_ident(META_SCHEMA)}.dango_audit_task_runs "
            "WHERE run_id = ? AND state = 'failed' AND error_summary IS NOT NULL ORDER BY 1",
            [run_id],
        ).fetchall()
    out = []
    for task_id, summary in rows:
        line = " ".join(str(summary).split())
        out.append((task_id, line if len(line) <= width else line[: width - 3] + "..."))
    return out


def summarize(project: Any, dag_run: Any) -> None:
    """Rows per table (from dlt's load info), dbt models and tests, and how to query the warehouse."""
    from airflow_provider_dango.warehouse import META_SCHEMA, for_project, quote_ident

    warehouse = for_project(project)
    with warehouse.connect(read_only=True) as con:
        loads = rows_loaded(warehouse, con, dag_run.run_id)
        built = con.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema NOT LIKE 'raw_%' "
            "AND table_schema NOT IN ('main', 'information_schema', 'pg_catalog', ?) "
            "ORDER BY 1, 2",
            [META_SCHEMA],
        ).fetchall()
        counts = {}
        for schema, name, _ in built:
            counts[(schema, name)] = con.execute(
                f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}"
            ).fetchone()[0]
    if loads:
        table("Rows loaded by dlt", ["source", "table", "rows"], [list(r) for r in loads], right={2})
    else:
        console.print("dlt: nothing loaded in this run (no synced source)")
    states = task_states(dag_run)
    runs = model_states(dag_run, states)
    ok_runs = sum(v == "success" for v in runs.values())
    passed, total = _data_tests(project, dag_run, states)
    console.print(f"dbt: {ok_runs}/{len(runs)} models built, {passed}/{total} data tests passed")
    table(
        "dbt models in the warehouse",
        ["relation", "type", "rows"],
        [[f"{s}.{n}", t.lower(), counts[(s, n)]] for s, n, t in built],
        right={2},
    )
    failed = sorted(k for k, v in states.items() if v not in ("success", "skipped"))
    if failed:
        err_console.print(f"tasks not successful: {', '.join(failed)}", markup=False)
        for task_id, reason in failure_reasons(warehouse, dag_run.run_id):
            err_console.print(f"  {task_id}: {reason}", markup=False)
    path = warehouse.path
    if path is None:  # a server: psql with the target's own connection details (the password stays out)
        c = warehouse.backend.connect_kwargs(warehouse.target.credentials)
        console.print(
            f"\nWarehouse: {warehouse.target.describe()}\nQuery it:  psql \"host={c.get('host')} port={c.get('port')} "
            f"dbname={c.get('dbname')} user={c.get('user')}\" -c 'select * from marts.daily_revenue limit 5'",
            markup=False,
        )
        return
    console.print(
        f'\nWarehouse: {path}\nQuery it:  .venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{path}', read_only=True).sql('select * from marts.daily_revenue limit 5'))\""
    )


def run_dag(dag: Any, what: str) -> Any:
    """`dag.test()` again (a story that changes the warehouse and runs the DAG once more), logs to the demo log."""
    log_path = Path(os.environ.get("AIRFLOW_HOME", ".")) / "demo.log"
    with output_to_file(log_path) as terminal, terminal.status(what):
        return dag.test()


def stories() -> list[Any]:
    """The pillars' stories, in order. Imported here, not at the top: they import Airflow, which must not load
    before `_prepare_airflow` has set AIRFLOW_HOME."""
    from airflow_provider_dango.demo import alerts, audit, catalog, drift, monitors, pii

    # The catalog goes last: it shows what every story before it left in the warehouse.
    return [drift.story, pii.story, monitors.story, alerts.story, audit.story, catalog.story]
