"""The static export from file:// in headless Chromium, and the catalog model behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_dango.catalog.build import build_static, catalog_model
from airflow_provider_dango.catalog.search import SearchIndex
from airflow_provider_dango.cli import main
from airflow_provider_dango.config import load_project
from tests.catalog.conftest import HOSTILE


@pytest.fixture(scope="module")
def export(catalog_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "site"
    assert main(["catalog", "build", "--project-dir", str(catalog_shop), "--out", str(out)]) == 0
    return out


def _node(model: dict, name: str) -> dict:
    return next(n for n in model["nodes"] if n["name"] == name)


def test_catalog_json_has_the_documented_shape(export: Path) -> None:
    model = json.loads((export / "catalog.json").read_text())
    assert {"nodes", "lineage", "monitors", "generated_at"} <= set(model)
    for node in model["nodes"]:
        assert {"unique_id", "name", "resource_type", "columns"} <= set(node)
        for column in node["columns"]:
            assert {"name", "data_type", "profile", "pii"} <= set(column)
    kinds = {n["resource_type"] for n in model["nodes"]}
    assert {"model", "source"} <= kinds
    amount = next(c for c in _node(model, "fct_orders")["columns"] if c["name"] == "amount")
    assert amount["profile"]["kind"] == "number" and float(amount["profile"]["min_value"]) > 0
    assert amount["description"].startswith("Order total")


def test_pii_columns_are_badged_and_their_values_never_exported(export: Path, catalog_shop: Path) -> None:
    text = (export / "catalog.json").read_text()
    model = json.loads(text)
    email = next(c for c in _node(model, "customers")["columns"] if c["name"] == "email")
    assert [p["entity"] for p in email["pii"]] == ["EMAIL_ADDRESS"]
    assert email["profile"]["masked"] is True and email["profile"]["top_values"] == []
    # No real address from the warehouse appears anywhere in the export (only masked examples like a***@x.com).
    from airflow_provider_dango.warehouse import for_project

    with for_project(load_project(catalog_shop)).connect(read_only=True) as con:
        emails = [r[0] for r in con.execute("SELECT email FROM raw_shop.customers").fetchall()]
    assert emails and not [e for e in emails if e in text]
    html = (export / "index.html").read_text()
    assert not [e for e in emails if e in html]


def test_search_ranks_exact_names_first_and_finds_column_descriptions(catalog_shop: Path) -> None:
    model = catalog_model(load_project(catalog_shop))
    index = SearchIndex(model)
    first = index.search("orders")[0]
    assert (first["name"], first["field"]) == ("orders", "name")
    hit = index.search("signed up with")
    assert [(h["name"], h["column"], h["field"]) for h in hit] == [("customers", "email", "column_description")]
    failing = {h["name"]: h["failing"] for h in index.search("orders")}
    assert failing["orders"] is True  # the pending breaking drift on raw_shop.orders
    assert failing["stg_orders"] is False


def test_lineage_gives_downstream_impact(catalog_shop: Path) -> None:
    from airflow_provider_dango.catalog.lineage import subgraph

    model = catalog_model(load_project(catalog_shop))
    g = subgraph(model, "source.shop.shop.orders", depth=1)
    assert g["levels"]["model.shop.stg_orders"] == 1
    assert {"model.shop.fct_orders", "model.shop.daily_revenue", "model.shop.dim_customers"} <= set(g["downstream"])
    assert "model.shop.fct_orders" not in g["levels"]  # depth 1 keeps the drawing small


def test_static_page_from_file_url(export: Path, page) -> None:
    url = (export / "index.html").as_uri()
    page.goto(url + "#/catalog")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#node-list tbody tr").count() >= 8
    # Search finds a column by its description.
    page.fill("#search", "signed up with")
    page.wait_for_selector("#results li.result")
    result = page.locator("#results li.result").first
    assert "customers" in result.inner_text() and "email" in result.inner_text()
    # The PII badge on the email column.
    page.goto(url + "#/node/source.shop.shop.customers")
    page.wait_for_selector("#columns")
    email_row = page.locator("#columns tr[data-column='email']")
    assert "PII EMAIL_ADDRESS" in email_row.locator(".pii-badge").inner_text()
    assert "masked (PII)" in email_row.inner_text()
    # A monitor chart with its flagged point.
    page.goto(url + "#/monitors")
    page.wait_for_selector(".monitor")
    flagged = page.locator(".monitor[data-monitor='daily_orders'] svg.chart circle.flagged-point")
    assert flagged.count() >= 1
    assert page.locator(".monitor[data-monitor='daily_orders'] .drivers").inner_text().startswith("Driven by")
    # Governance shows the pending drift (read-only in the static export).
    page.goto(url + "#/governance")
    page.wait_for_selector("#drift")
    assert page.locator("#drift tr[data-table='raw_shop.orders']").get_attribute("data-state") == "pending"
    assert page.errors == []


def test_script_in_names_is_rendered_as_text(export: Path, page) -> None:
    page.goto((export / "index.html").as_uri() + "#/node/model.shop.hostile_names")
    page.wait_for_selector("#node-description")
    assert page.locator("#node-description").inner_text().startswith(HOSTILE)
    assert "<script>window.__pwned = 2</script>" in page.locator("#columns").inner_text()
    page.goto((export / "index.html").as_uri() + "#/catalog?q=pwned")
    page.wait_for_selector("#results li.result")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.errors == []


def test_missing_manifest_and_empty_warehouse_say_what_to_run(shop_project: Path, tmp_path: Path, page) -> None:
    project = load_project(shop_project)
    index = build_static(project, tmp_path / "empty")
    model = json.loads((tmp_path / "empty" / "catalog.json").read_text())
    assert model["nodes"] == [] and len(model["status"]["hints"]) == 2
    page.goto(index.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    hints = page.locator("#hints").inner_text()
    assert "dango dbt manifest" in hints and "run a sync" in hints
    for route in ("monitors", "governance", "runs", "node/model.x.y"):
        page.goto(index.as_uri() + "#/" + route)
        page.wait_for_selector("body[data-ready='1']")
    assert page.errors == []
