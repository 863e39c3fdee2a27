"""Astro's DAG integrity checks: no import errors, every DAG tagged, retries >= 2."""

import os
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS), safe_mode=True)


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}, dagbag.import_errors


def test_dags_have_tags(dagbag: DagBag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"


def test_retries_at_least_two(dagbag: DagBag) -> None:
    """Pipeline tasks retry. `dango_stale_check` runs every few minutes: its next run is its retry."""
    for dag_id, dag in dagbag.dags.items():
        if dag_id == "dango_stale_check":
            continue
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries={task.retries}"


def test_some_dags_loaded(dagbag: DagBag) -> None:
    assert dagbag.dags, f"no DAGs found for DANGO_PROJECT_DIR={os.environ.get('DANGO_PROJECT_DIR')}"
