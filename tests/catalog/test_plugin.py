"""The dango_ui plugin under a real `airflow api-server` on 127.0.0.1: authentication on every route, permission on
actions, and the pages in headless Chromium (search through the JSON API, PII badge, flagged monitor point, the
task-instance tab, accept drift, mark a column not PII)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.catalog.airflow_server import Server, api_server
from tests.conftest import set_dbt_tasks


@pytest.fixture(scope="module")
def server(catalog_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("plugin")
    project = base / "shop"
    shutil.copytree(catalog_shop, project, symlinks=True)  # actions change the project: use a private copy
    # The task-instance tab is about Cosmos's per-model tasks (`dbt.<model>.run`): the layout with one task per model.
    set_dbt_tasks(project, "per_model")
    with api_server(base / "airflow", project) as s:
        yield s


@pytest.fixture
def admin_page(server: Server, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.add_cookies([{"name": "_token", "value": server.token("admin"), "url": server.url}])
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


ROUTES = [
    "/dango/",
    "/dango/catalog",
    "/dango/monitors",
    "/dango/governance",
    "/dango/runs",
    "/dango/node/model.shop.fct_orders",
    "/dango/task/dango_shop_daily/dbt.fct_orders.run",
    "/dango/api/catalog",
    "/dango/api/search?q=orders",
    "/dango/api/nodes/model.shop.fct_orders",
    "/dango/api/lineage/model.shop.fct_orders",
]


def test_unauthenticated_requests_are_refused(server: Server) -> None:
    for route in ROUTES:
        code, body = server.request(route)
        assert code == 401, (route, code, body[:200])
    code, _ = server.request("/dango/api/drift/accept", body={"table": "raw_shop.orders"})
    assert code == 401
    code, _ = server.request("/dango/api/catalog", token="not-a-jwt")
    assert code == 403
    token = server.token("viewer")
    for route in ROUTES:
        assert server.request(route, token)[0] == 200, route


def test_actions_need_dag_edit_permission_and_json(server: Server) -> None:
    viewer, admin = server.token("viewer"), server.token("admin")
    code, body = server.request(
        "/dango/api/pii/override", viewer, {"table": "raw_shop.customers", "column": "email", "status": "not_pii"}
    )
    assert code == 403 and "dango_shop_daily" in body
    code, _ = server.request(
        "/dango/api/pii/override",
        admin,
        {"table": "raw_shop.customers", "column": "email", "status": "not_pii"},
        content_type="text/plain",
    )
    assert code in (415, 422)  # FastAPI refuses a non-JSON body before the handler runs
    assert not (server.project / ".dango" / "pii-overrides.yml").exists()


def test_plugin_is_registered_with_nav_entries_and_task_tab(server: Server) -> None:
    code, body = server.request("/api/v2/plugins", server.token("admin"))
    assert code == 200
    plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "dango_ui")
    assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/dango"]
    nav = {v["name"]: v for v in plugin["external_views"] if v["destination"] == "nav"}
    assert set(nav) == {"Catalog", "Monitors", "Governance", "Runs"} and {v["category"] for v in nav.values()} == {
        "dango"
    }
    assert any(v["destination"] == "task_instance" for v in plugin["external_views"])


def test_search_api_finds_a_column_by_its_description(server: Server) -> None:
    code, body = server.request("/dango/api/search?q=signed%20up%20with", server.token("viewer"))
    results = json.loads(body)["results"]
    assert code == 200 and [(r["name"], r["column"]) for r in results] == [("customers", "email")]


def test_pages_in_the_browser(server: Server, admin_page: Any) -> None:
    page = admin_page
    page.goto(server.url + "/dango/catalog")
    page.wait_for_selector("#node-list")
    page.fill("#search", "signed up with")
    page.wait_for_selector("#results li.result")
    assert "email" in page.locator("#results li.result").first.inner_text()
    page.goto(server.url + "/dango/node/source.shop.shop.customers")
    page.wait_for_selector("#columns")
    assert "PII EMAIL_ADDRESS" in page.locator("#columns tr[data-column='email'] .pii-badge").inner_text()
    page.goto(server.url + "/dango/monitors")
    page.wait_for_selector(".monitor[data-monitor='daily_orders'] svg.chart")
    assert page.locator(".monitor[data-monitor='daily_orders'] circle.flagged-point").count() >= 1
    page.goto(server.url + "/dango/task/dango_shop_daily/dbt.fct_orders.run")
    page.wait_for_selector("#node-title")
    assert page.locator("#node-title").inner_text().startswith("fct_orders")
    page.goto(server.url + "/dango/task/dango_shop_daily/dbt_build")  # `dbt_tasks: single`: every model, the catalog
    page.wait_for_selector("#node-list")
    assert page.locator("#search").input_value() == ""
    page.goto(server.url + "/dango/runs")
    page.wait_for_selector("body[data-ready='1']")
    assert page.errors == []


def test_pool_problems_show_as_a_banner_on_every_page(server: Server, admin_page: Any) -> None:
    """A DuckDB project's pool that is missing (no scheduler has started on this database yet) or wider than one slot
    is one line above every dango page; a one-slot pool, none."""
    token = server.token("viewer")
    missing = "dango: Airflow pool &#x27;dango_warehouse&#x27; does not exist"
    pages = ["/dango/", *(f"/dango/{p}" for p in ("catalog", "monitors", "governance", "runs"))]
    for route in pages:
        code, body = server.request(route, token)
        assert code == 200 and body.count('class="banner"') == 1 and missing in body, route
    page = admin_page
    page.goto(server.url + "/dango/runs")
    assert page.locator("p.banner").inner_text().startswith("dango: Airflow pool 'dango_warehouse' does not exist")

    server.airflow("pools", "set", "dango_warehouse", "3", "made by hand")
    page.reload()
    assert page.locator("p.banner").inner_text().startswith("dango: Airflow pool 'dango_warehouse' has 3 slots")
    server.airflow("pools", "set", "dango_warehouse", "1", "made by hand")
    for route in pages:
        assert 'class="banner"' not in server.request(route, token)[1], route


def test_accept_changes_the_drift_state(server: Server, admin_page: Any) -> None:
    page = admin_page
    page.goto(server.url + "/dango/governance")
    row = "#drift tr[data-table='raw_shop.orders']"
    page.wait_for_selector(row + "[data-state='pending']")
    page.locator(row + " button.action").click()
    page.wait_for_selector(row + "[data-state='accepted']", timeout=120_000)
    code, body = server.request("/dango/api/catalog", server.token("viewer"))
    assert code == 200
    model = json.loads(body)
    orders = next(n for n in model["nodes"] if n["unique_id"] == "source.shop.shop.orders")
    assert orders["failing"] == []
    audit = [r for r in model["runs"]["check_results"] if r["check_name"] == "drift:accept"]
    assert [(r["target"], json.loads(r["details"])["by"]) for r in audit] == [("raw_shop.orders", "admin")]


def test_mark_not_pii_writes_the_overrides_file(server: Server, admin_page: Any) -> None:
    page = admin_page
    page.goto(server.url + "/dango/governance")
    row = page.locator("#pii tr[data-column='raw_shop.orders.notes']")
    row.locator("button.action", has_text="not pii").click()
    page.wait_for_function(
        "() => (document.querySelector(\"#pii tr[data-column='raw_shop.orders.notes'] .override\") || {})"
        ".textContent === 'not_pii by admin'",
        timeout=60_000,
    )
    doc = yaml.safe_load((server.project / ".dango" / "pii-overrides.yml").read_text())
    assert [(o["table"], o["column"], o["status"], o["set_by"]) for o in doc["overrides"]] == [
        ("raw_shop.orders", "notes", "not_pii", "admin")
    ]
    from airflow_provider_dango.config.pii_overrides import load_pii_overrides

    overrides, problems = load_pii_overrides(server.project / ".dango")
    assert problems == [] and overrides[0].status == "not_pii"
