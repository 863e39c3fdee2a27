"""Config models: Dango's documented format loads unchanged; every problem is one FILE:LINE: line; nothing is lost."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from airflow_provider_dango.config import CRON_PRESETS, load_project
from airflow_provider_dango.warehouse import for_project
from tests.conftest import EXAMPLE


def make_project(root: Path, schedules: str, sources: str | None = None, project: str | None = None) -> Path:
    dango = root / ".dango"
    dango.mkdir(parents=True)
    (dango / "schedules.yml").write_text(textwrap.dedent(schedules), encoding="utf-8")
    (dango / "sources.yml").write_text(
        textwrap.dedent(
            sources
            or """\
            sources:
              - name: shop
                function: pipelines.shop_source:shop
              - name: crm
                function: pipelines.shop_source:shop
            """
        ),
        encoding="utf-8",
    )
    if project:
        (dango / "project.yml").write_text(textwrap.dedent(project), encoding="utf-8")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "__init__.py").write_text("")
    (root / "pipelines" / "shop_source.py").write_text((EXAMPLE / "pipelines" / "shop_source.py").read_text())
    (root / "dbt").mkdir()
    (root / "dbt" / "dbt_project.yml").write_text("name: t\nprofile: t\nconfig-version: 2\nversion: '1'\n")
    return root


def messages(root: Path) -> list[str]:
    return [str(p) for p in load_project(root).problems]


def test_example_project_is_valid() -> None:
    project = load_project(EXAMPLE)
    assert project.errors == []
    daily = next(s for s in project.schedules if s.name == "shop_daily")
    assert daily.cron == "0 6 * * *"
    assert daily.timezone == "Europe/Berlin"
    assert for_project(project).path == EXAMPLE / "data" / "warehouse.duckdb"


def test_dango_defaults_and_presets(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        """\
        schedules:
          - name: a
            cron: every_15m
            sources: [shop]
        """,
    )
    project = load_project(root)
    (s,) = project.schedules
    assert s.cron == CRON_PRESETS["every_15m"] == "*/15 * * * *"
    assert (s.type.value, s.enabled, s.timezone, s.timeout_minutes, s.notify_on) == ("sync", True, "UTC", 60, [])
    # Our additions' defaults.
    assert (s.retries, s.retry_delay_seconds, s.catchup, s.max_active_runs, s.tags) == (2, 30, "latest", 1, [])
    assert s.backoff_multiplier == 4.0  # Dango's 30 s then 120 s
    n = project.notifications
    assert (n.on_failure, n.on_success, n.on_stale, n.on_governance, n.on_analysis) == (True,) * 5
    assert n.stale_threshold_hours == 24


@pytest.mark.parametrize("preset", sorted(CRON_PRESETS))
def test_every_preset_loads(tmp_path: Path, preset: str) -> None:
    root = make_project(tmp_path, f"schedules:\n  - name: a\n    cron: {preset}\n    sources: [shop]\n")
    assert load_project(root).schedules[0].cron == CRON_PRESETS[preset]


def test_dango_full_example_with_notifications(tmp_path: Path) -> None:
    """Every key Dango documents, including the notifications block, loads unchanged."""
    root = make_project(
        tmp_path,
        """\
        schedules:
          - name: hourly_sync
            type: sync
            cron: "0 * * * *"
            sources: [shop, crm]
            enabled: true
            timezone: America/New_York
            start_date: 2025-01-01T00:00:00
            misfire_grace_time: 300
            timeout_minutes: 45
            notify_on: [failure, stale]
          - name: crm_only
            type: sync_only
            cron: every_6h
            sources: [crm]
          - name: nightly_dbt
            type: dbt
            cron: "30 2 * * *"
            dbt_command: dbt build --select marts
        notifications:
          webhooks:
            - name: ops
              url: "${OPS_WEBHOOK}"
              format: slack
            - name: generic
              url: "${GENERIC_WEBHOOK}"
          on_failure: true
          on_success: false
          on_stale: true
          on_governance: true
          on_analysis: false
          stale_threshold_hours: 12
        """,
    )
    project = load_project(root)
    assert project.errors == [], [str(p) for p in project.errors]
    assert [s.name for s in project.schedules] == ["hourly_sync", "crm_only", "nightly_dbt"]
    assert project.schedules[0].misfire_grace_time == 300
    assert [w.format for w in project.notifications.webhooks] == ["slack", "generic"]
    assert project.notifications.stale_threshold_hours == 12


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  - name: a\n    cron: '61 * * * *'\n    sources: [shop]\n",
            ".dango/schedules.yml:3: schedules[0].cron: invalid cron",
        ),
        ("  - name: a\n    cron: daily\n    timezone: Mars/Olympus\n    sources: [shop]\n",
         ".dango/schedules.yml:4: schedules[0].timezone: unknown time zone 'Mars/Olympus'"),
        ("  - name: a\n    cron: daily\n    sources: [shpo]\n",
         ".dango/schedules.yml:4: schedules[0].sources[0]: unknown source 'shpo' (did you mean 'shop'?)"),
        ("  - name: a\n    cron: daily\n    sources: [shop]\n    timout_minutes: 5\n",
         ".dango/schedules.yml:5: schedules[0].timout_minutes: unknown key (did you mean 'timeout_minutes'?)"),
        ("  - name: a\n    type: dbt\n    cron: daily\n", "type dbt needs `dbt_command`"),
        ("  - name: a\n    type: sync_only\n    cron: daily\n    sources: [shop]\n    dbt_command: dbt run\n",
         "type sync_only runs no dbt"),
        ("  - name: a\n    cron: daily\n", "type sync needs at least one entry in `sources`"),
        ("  - name: Bad-Name\n    cron: daily\n    sources: [shop]\n", ".dango/schedules.yml:2: schedules[0].name:"),
        ("  - name: a\n    cron: daily\n    sources: [shop]\n    notify_on: [failure, sometimes]\n",
         "schedules[0].notify_on[1]:"),
        (
            "  - name: a\n    cron: daily\n    sources: [shop]\n    timeout_minutes: 0\n",
            "schedules[0].timeout_minutes:",
        ),
        ("  - name: a\n    type: script\n    cron: daily\n    script_path: ../evil.py\n", "must be inside scripts/"),
        ("  - name: a\n    cron: daily\n    sources: [shop]\n    catchup: all\n", "catchup: all needs `start_date`"),
        ("  - name: a\n    cron: daily\n    sources: [shop]\n  - name: a\n    cron: weekly\n    sources: [shop]\n",
         ".dango/schedules.yml:5: schedules[1].name: duplicate schedule name 'a'"),
    ],
)
def test_bad_schedule_is_one_line_with_file_line_and_key(tmp_path: Path, body: str, expected: str) -> None:
    root = make_project(tmp_path, "schedules:\n" + body)
    errors = [str(p) for p in load_project(root).errors]
    assert any(expected in e for e in errors), errors
    assert all("\n" not in e for e in errors)


def test_one_bad_schedule_hides_no_good_one(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        """\
        schedules:
          - name: good_one
            cron: daily
            sources: [shop]
          - name: broken
            cron: not a cron
            sources: [shop]
          - name: good_two
            cron: weekly
            sources: [crm]
        """,
    )
    project = load_project(root)
    assert [s.name for s in project.schedules] == ["good_one", "good_two"]
    assert list(project.broken_schedules) == ["broken"]
    assert str(project.errors[0]).startswith(".dango/schedules.yml:6: schedules[1].cron:")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, "schedules:\n  - name: a\n    cron: [daily\n")
    (err,) = messages(root)
    assert err.startswith(".dango/schedules.yml:") and "invalid YAML" in err


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    root = make_project(tmp_path, "schedules:\n  - name: a\n    cron: daily\n    cron: weekly\n    sources: [shop]\n")
    assert any(".dango/schedules.yml:4:" in m and "duplicate key 'cron'" in m for m in messages(root))


def test_unknown_top_level_key_keeps_the_rest(tmp_path: Path) -> None:
    root = make_project(tmp_path, "schedulez: []\nschedules:\n  - name: a\n    cron: daily\n    sources: [shop]\n")
    project = load_project(root)
    assert [s.name for s in project.schedules] == ["a"]
    assert any("schedulez: unknown key (did you mean 'schedules'?)" in str(p) for p in project.errors)


def test_source_that_cannot_be_imported(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "schedules:\n  - name: a\n    cron: daily\n    sources: [ghost]\n"
        "  - name: b\n    cron: daily\n    sources: [shop]\n",
        sources="sources:\n  - name: shop\n    function: pipelines.shop_source:shop\n"
        "  - name: ghost\n    function: no_such_module.sub:make\n",
    )
    project = load_project(root)
    errors = [str(p) for p in project.errors]
    assert ".dango/sources.yml:5: sources[1].function: module 'no_such_module.sub' not found (source 'ghost')" in errors
    assert any("source 'ghost' is invalid" in e for e in errors)
    assert [s.name for s in project.schedules] == ["b"]


def test_dango_dlt_native_and_registry_sources(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "schedules:\n  - name: a\n    cron: daily\n    sources: [native]\n",
        sources="""\
        version: "1.0"
        sources:
          - name: native
            type: dlt_native
            dlt_native:
              source_module: pipelines.shop_source
              source_function: shop
              function_kwargs: {customers: 5}
          - name: payments
            type: stripe
            stripe: {stripe_secret_key_env: STRIPE_API_KEY}
        """,
    )
    project = load_project(root)
    assert project.sources["native"].callable_path == "pipelines.shop_source:shop"
    assert project.sources["native"].call_args == {"customers": 5}
    assert any("'stripe' needs Dango's source registry" in str(p) for p in project.errors)


def test_missing_dbt_project_breaks_only_dbt_schedules(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "schedules:\n  - name: with_dbt\n    cron: daily\n    sources: [shop]\n"
        "  - name: raw_only\n    type: sync_only\n    cron: daily\n    sources: [shop]\n",
        project="platform:\n  dbt_project_dir: ./nowhere\n",
    )
    project = load_project(root)
    assert [s.name for s in project.schedules] == ["raw_only"]
    assert any("runs dbt but no dbt project was found" in str(p) for p in project.errors)


def test_plaintext_webhook_url_is_a_warning_not_an_error(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "schedules: []\nnotifications:\n  webhooks:\n    - name: x\n      url: https://hooks.example/abc\n",
    )
    project = load_project(root)
    assert project.errors == []
    (warning,) = project.warnings
    assert str(warning).startswith(".dango/schedules.yml:5: warning: notifications.webhooks[0].url")


def test_overlapping_schedules_of_one_source_warn(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "schedules:\n  - name: a\n    cron: '0 6 * * *'\n    sources: [shop]\n"
        "  - name: b\n    cron: daily\n    sources: [shop]\n",
    )
    project = load_project(root)
    assert len(project.schedules) == 2
    assert any("'b' and 'a' both sync 'shop' within 60 s" in str(w) for w in project.warnings)


def test_project_file_unknown_key_hint(tmp_path: Path) -> None:
    root = make_project(tmp_path, "schedules: []\n", project="platform:\n  duckdb_pth: x.duckdb\n")
    assert any(
        ".dango/project.yml:2: platform.duckdb_pth: unknown key (did you mean 'duckdb_path'?)" in m
        for m in messages(root)
    )
