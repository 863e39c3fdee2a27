"""Bad input reaches the Airflow UI as one clear line (DAG file import warning or error, or the task's error), and
the DAGs that keep alerts alive exist unless turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_dango.scaffold import DAG_FILE

SCHEDULES = """schedules:
  - name: nightly
    type: sync_only
    cron: daily
    sources: [shop]
    notify_on: [failure]
notifications:
  on_stale: false
  webhooks:
    - name: slack
      format: slack
      url: ${DANGO_T_UNSET_SLACK_URL}
"""


def _bag(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("DANGO_PROJECT_DIR", str(root))
    monkeypatch.delenv("DANGO_T_UNSET_SLACK_URL", raising=False)
    dag_file = tmp_path / "dags" / "dango_dags.py"
    dag_file.parent.mkdir(exist_ok=True)
    dag_file.write_text(DAG_FILE, encoding="utf-8")
    return DagBag(dag_folder=str(dag_file)), str(dag_file)


def _write(root: Path, schedules: str, airflow_block: str = "") -> None:
    (root / ".dango" / "schedules.yml").write_text(schedules, encoding="utf-8")
    if airflow_block:
        project_yml = root / ".dango" / "project.yml"
        project_yml.write_text(project_yml.read_text(encoding="utf-8") + airflow_block, encoding="utf-8")


def test_stale_check_exists_with_a_webhook_and_a_source_and_unset_variable_is_a_dag_warning(
    shop_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_db: Path
) -> None:
    _write(shop_project, SCHEDULES, "  is_paused_upon_creation: false\n")
    bag, path = _bag(tmp_path, shop_project, monkeypatch)
    assert not bag.import_errors
    # notify_on: [failure] and on_stale: false choose which alerts go out; they do not remove the stale check
    # (it also retries the outbox).
    assert set(bag.dag_ids) == {"dango_nightly", "dango_stale_check"}
    assert bag.get_dag("dango_nightly").is_paused_upon_creation is False
    assert bag.get_dag("dango_stale_check").is_paused_upon_creation is False
    warnings = bag.captured_warnings[path]
    assert any(
        "webhook 'slack' needs environment variable DANGO_T_UNSET_SLACK_URL, which is not set here" in w
        and ".dango/schedules.yml:12" in w
        for w in warnings
    ), warnings

    # Off only when the project says so; paused by default (Airflow's own default).
    _write(shop_project, SCHEDULES.replace("  on_stale: false\n", "  stale_check: false\n"))
    (shop_project / ".dango" / "project.yml").write_text(
        (shop_project / ".dango" / "project.yml").read_text().replace("  is_paused_upon_creation: false\n", ""),
        encoding="utf-8",
    )
    bag, _ = _bag(tmp_path, shop_project, monkeypatch)
    assert set(bag.dag_ids) == {"dango_nightly"}
    assert bag.get_dag("dango_nightly").is_paused_upon_creation is None


def test_missing_warehouse_connection_is_the_dag_files_import_error(
    shop_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_db: Path
) -> None:
    _write(shop_project, SCHEDULES, "  warehouse_conn_id: dango_t_no_such_conn\n")
    bag, path = _bag(tmp_path, shop_project, monkeypatch)
    assert "dango_nightly" not in bag.dag_ids
    error = bag.import_errors[path]
    assert (
        "schedule 'nightly': .dango/project.yml: airflow.warehouse_conn_id: Airflow connection "
        "'dango_t_no_such_conn' does not exist"
    ) in error, error


def test_checks_on_a_deleted_warehouse_file_say_so_and_the_sync_recreates_it(shop_project: Path) -> None:
    from airflow_provider_dango import drift, pii, profile
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.monitors import core as monitors
    from airflow_provider_dango.operators.retry import DangoRetryPolicy
    from airflow_provider_dango.steps import Scope
    from airflow_provider_dango.sync import run_step as sync_step
    from airflow_provider_dango.warehouse import WarehouseMissingError, for_project

    project = load_project(shop_project)
    sync_step(project, Scope(sources=["shop"]))
    path = for_project(project).path
    assert path.exists()
    path.unlink()  # deleted between runs

    for step, what in [
        (drift.run_step, "schema drift check"),
        (pii.run_step, "PII scan"),
        (monitors.run_step, "metric monitors"),
        (profile.run_step, "column profiles"),
    ]:
        with pytest.raises(WarehouseMissingError) as err:
            step(project, Scope(sources=["shop"]))
        message = str(err.value)
        assert message.startswith(f"{what}: the warehouse file {path} does not exist") and "\n" not in message
        assert not path.exists()  # nothing silently created an empty warehouse
        # In a DAG this fails at once: a retry would not bring the file back.
        assert DangoRetryPolicy().evaluate(err.value, 1, 3).action.value == "fail"

    sync_step(project, Scope(sources=["shop"]))  # the next sync recreates it
    assert path.exists() and for_project(project).table_exists("raw_shop", "customers")
