"""Fixtures for the catalog tests: the demo shop run through the whole pipeline (sync, dbt build, drift with one
pending breaking change, PII scan, monitors, profiles), with a hostile model planted; a headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_dango.commands.output import silenced_stdout
from tests.conftest import copy_project

HOSTILE = "<script>window.__pwned = 1</script>"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def plant_hostile(root: Path) -> None:
    """A model whose description and one column name are `<script>` elements."""
    marts = root / "dbt" / "models" / "marts"
    (marts / "hostile_names.sql").write_text(
        'select 1 as "<script>window.__pwned = 2</script>", \'x\' as "it\'s ""quoted"""\n', encoding="utf-8"
    )
    (marts / "_hostile.yml").write_text(
        f'version: 2\nmodels:\n  - name: hostile_names\n    description: "{HOSTILE} planted in a description"\n',
        encoding="utf-8",
    )


def run_pipeline(root: Path) -> None:
    from airflow_provider_dango import drift, pii
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest, run_dbt
    from airflow_provider_dango.monitors.core import run_monitors
    from airflow_provider_dango.profile import run_step
    from airflow_provider_dango.steps import Scope
    from airflow_provider_dango.sync import run_sync
    from airflow_provider_dango.warehouse import for_project

    project = load_project(root)
    with silenced_stdout():
        run_sync(project, "shop")
        build_manifest(project)
        drift.check(project, ["shop"])  # first sight: baselines stored
        run_dbt(project, ["build", "--quiet"])
        pii.scan(project, schemas=["raw_shop"], quiet=True)
        run_monitors(project)
        run_step(project, Scope(alerts=False))
        with for_project(project).connect() as con:
            con.execute("ALTER TABLE raw_shop.orders ALTER customer_id TYPE INTEGER")
        drift.check(project, ["shop"])  # now breaking: pending until accepted


@pytest.fixture(scope="session")
def catalog_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("catalog") / "shop")
    plant_hostile(root)
    run_pipeline(root)
    return root


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()
