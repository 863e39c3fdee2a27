"""Alerts on time (dag.test runs): a failure that would repeat fails at once with its details; a transient one is
retried, and each `sync_retrying` alert says when Airflow will really start the next try."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airflow_provider_dango.alerts.receiver import Receiver
from tests.alerts.test_airflow import BROKEN_SOURCE


def _tries(dag_id: str, run_id: str, task_id: str) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """{try_number: (start, end)} of one task in one run, from the metadata database (history and current try)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session

    out = {}
    with create_session() as session:
        for model in (TaskInstanceHistory, TaskInstance):
            for ti in session.query(model).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id):
                out[ti.try_number] = (ti.start_date, ti.end_date)
    return out


def _dag_file(airflow_db: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_dango.scaffold import DAG_FILE

    monkeypatch.setenv("DANGO_PROJECT_DIR", str(root))
    (airflow_db / "dags" / "dango_dags.py").write_text(DAG_FILE, encoding="utf-8")


def test_transient_failure_is_retried_and_next_retry_at_is_the_real_backoff(
    shop_project: Path, airflow_db: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    from airflow_provider_dango.dag_factory import build_dags

    root = shop_project
    (root / "pipelines" / "broken.py").write_text(BROKEN_SOURCE, encoding="utf-8")
    (root / ".dango" / "sources.yml").write_text(
        'version: "1.0"\nsources:\n  - name: broken\n    function: pipelines.broken:broken\n', encoding="utf-8"
    )
    (root / ".dango" / "schedules.yml").write_text(
        f"""schedules:
  - name: flaky
    type: sync_only
    cron: daily
    sources: [broken]
    retries: 2
    retry_delay_seconds: 1
    retry_exponential_backoff: 2
notifications:
  webhooks:
    - name: ops
      url: "{receiver.url("/ops")}"
  retry_delays_seconds: [0.05]
""",
        encoding="utf-8",
    )
    _dag_file(airflow_db, root, monkeypatch)
    run = build_dags(root)["dango_flaky"].test()

    assert str(run.state) == "failed"
    events = [r.json for r in receiver.on("/ops")]
    assert [e["event"] for e in events] == ["sync_retrying", "sync_retrying", "sync_failed"]  # a 503 is retried
    tries = _tries("dango_flaky", run.run_id, "sync_broken")
    assert sorted(tries) == [1, 2, 3]
    for event in events[:2]:
        attempt = event["attempt_number"]
        announced = dt.datetime.fromisoformat(event["next_retry_at"])
        failed_at, started_next = tries[attempt][1], tries[attempt + 1][0]
        # Airflow's backoff: between 1x and 2x of retry_delay * 2^(attempt-1), from the end of the failed try.
        base = 2 ** (attempt - 1)
        delay = (announced - failed_at).total_seconds()
        assert base - 0.002 <= delay < 2 * base + 0.01, (attempt, announced, failed_at)
        # ... and the next try really starts then (dag.test polls about once a second).
        assert announced - dt.timedelta(milliseconds=2) <= started_next <= announced + dt.timedelta(seconds=3), (
            attempt,
            announced,
            started_next,
        )


CUSTOMERS_TESTS = """version: 2
models:
  - name: stg_customers
    description: One row per customer, cleaned.
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
      - name: email
        meta: {pii: true}
        data_tests:
          - accepted_values:
              arguments:
                values: ['nobody@example.com']
      - name: country
        data_tests:
          - accepted_values:
              arguments:
                values: [DE, FR]
"""


@pytest.mark.parametrize("dbt_tasks", ["per_model", "single"])
def test_failed_dbt_test_fails_at_once_and_names_tests_and_masked_values(
    shop_project: Path, airflow_db: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, dbt_tasks: str
) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dag_factory import build_dags
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.sync import run_sync

    root = shop_project
    (root / "dbt" / "models" / "staging" / "_stg_customers_tests.yml").write_text(CUSTOMERS_TESTS, encoding="utf-8")
    staging = root / "dbt" / "models" / "staging"
    for yml in staging.glob("*.yml"):
        text = yml.read_text(encoding="utf-8")
        if "name: stg_customers" in text and yml.name != "_stg_customers_tests.yml":
            # keep the other models' tests, move stg_customers' own to the file above
            head, _, rest = text.partition("  - name: stg_customers")
            _, _, tail = rest.partition("  - name: stg_orders")
            yml.write_text(head + "  - name: stg_orders" + tail, encoding="utf-8")
    (root / ".dango" / "schedules.yml").write_text(
        f"""schedules:
  - name: customers
    type: dbt
    cron: daily
    dbt_command: dbt build --select stg_customers
    dbt_tasks: {dbt_tasks}
    retries: 2
    retry_delay_seconds: 1
notifications:
  webhooks:
    - name: ops
      url: "{receiver.url("/ops")}"
  retry_delays_seconds: [0.05]
""",
        encoding="utf-8",
    )
    project = load_project(root)
    assert not project.errors, project.errors
    build_manifest(project)
    run_sync(project, "shop")
    _dag_file(airflow_db, root, monkeypatch)
    run = build_dags(root)["dango_customers"].test()

    assert str(run.state) == "failed"
    test_task = "dbt.stg_customers.test" if dbt_tasks == "per_model" else "dbt_build"
    assert sorted(_tries("dango_customers", run.run_id, test_task)) == [1]  # not retried
    events = [r.json for r in receiver.on("/ops")]
    assert [e["event"] for e in events] == ["dbt_test_failed"]  # no sync_retrying before the real alert
    failing = {t["column"]: t for t in events[0]["metadata"]["failing_tests"]}
    assert {"email", "country"} <= set(failing)
    country = failing["country"]
    assert country["test"].startswith("accepted_values_stg_customers_country") and country["failures"] > 0
    bad_countries = {row["value_field"] for row in country["values"]}
    assert bad_countries and not bad_countries & {"DE", "FR"}
    assert all(isinstance(row["n_records"], int) for row in country["values"])
    emails = [row["value_field"] for row in failing["email"]["values"]]
    assert emails and all(e.startswith("pii:") and len(e) == 16 for e in emails)
    assert b"@example." not in receiver.on("/ops")[0].raw  # no raw email anywhere in the alert
    assert "accepted_values_stg_customers_email" in events[0]["metadata"]["summary"]
