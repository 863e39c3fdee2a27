"""The notifications block: Dango's keys load unchanged; our additions are validated with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_dango.config import load_project

SCHEDULE = """
schedules:
  - name: shop_daily
    cron: daily
    sources: [shop]
    notify_on: [failure]
"""


def _load(project: Path, notifications: str):
    (project / ".dango" / "schedules.yml").write_text(SCHEDULE + notifications, encoding="utf-8")
    return load_project(project)


def test_dango_notifications_block_loads_unchanged(shop_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.test/x")  # set: no unset-variable warning
    project = _load(
        shop_project,
        """
notifications:
  webhooks:
    - name: slack-alerts
      url: ${SLACK_WEBHOOK_URL}
      format: slack
    - name: ops
      url: https://hooks.example.com/dango
  on_failure: true
  on_success: false
  on_stale: true
  on_governance: true
  on_analysis: false
  stale_threshold_hours: 12
""",
    )
    n = project.notifications
    assert [w.name for w in n.webhooks] == ["slack-alerts", "ops"]
    assert (n.on_success, n.on_analysis, n.stale_threshold_hours) == (False, False, 12)
    assert [p.level for p in project.problems] == ["warning"]  # the literal URL of `ops`
    assert "url: webhook 'ops' has its URL in plain text" in str(project.problems[0])


def test_additions_validate(shop_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PAGER_URL", "PAGER_HMAC", "PAGER_KEY"):
        monkeypatch.setenv(var, "set")  # set where validated: no unset-variable warning
    project = _load(
        shop_project,
        """
notifications:
  dedup_window_minutes: 30
  retry_delays_seconds: [1, 2, 4]
  webhooks:
    - name: pager
      url: ${PAGER_URL}
      min_severity: critical
      events: [sync_failed, dag_failed]
      secret: ${PAGER_HMAC}
      headers: {X-Team: data, X-Api-Key: "${PAGER_KEY}"}
    - name: teams
      conn_id: teams_webhook
      format: teams
    - name: mail
      format: email
      to: [oncall@example.com]
""",
    )
    assert not project.problems
    pager = project.notifications.webhooks[0]
    assert pager.min_severity == "critical" and pager.events == ["sync_failed", "dag_failed"]
    assert project.notifications.retry_delays_seconds == [1, 2, 4]


def test_plain_text_secret_is_an_error_naming_the_line(shop_project: Path) -> None:
    project = _load(
        shop_project,
        """
notifications:
  webhooks:
    - name: h
      url: ${H_URL}
      secret: my-plain-key
""",
    )
    [problem] = project.errors
    text = str(problem)
    assert "schedules.yml:" in text and "secret must be ${ENV_VAR} or conn:<conn_id>" in text
    assert "my-plain-key" not in text


def test_unknown_event_and_email_without_recipients(shop_project: Path) -> None:
    project = _load(
        shop_project,
        """
notifications:
  webhooks:
    - name: h
      url: ${H_URL}
      events: [sync_faild]
""",
    )
    assert "unknown event(s) sync_faild" in str(project.errors[0])
    project = _load(shop_project, "\nnotifications:\n  webhooks:\n    - name: m\n      format: email\n")
    assert "format email needs `to:`" in str(project.errors[0])


def test_credential_header_in_plain_text_warns(shop_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H_URL", "https://hooks.example.test/h")
    project = _load(
        shop_project,
        """
notifications:
  webhooks:
    - name: h
      url: ${H_URL}
      headers: {Authorization: Bearer abc}
""",
    )
    [problem] = project.problems
    assert problem.level == "warning" and "headers.Authorization" in str(problem)
