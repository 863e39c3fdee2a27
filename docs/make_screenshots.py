"""Screenshots of the catalog pages for the README, from the demo (`make demo` first).

    .venv/bin/python docs/make_screenshots.py            # static export pages
    .venv/bin/python docs/make_screenshots.py --airflow  # also Governance and the dango menu under airflow api-server
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DOCS = REPO / "docs"

PAGES = [
    ("catalog.png", "#/catalog"),
    ("catalog_node.png", "#/node/source.shop.shop.customers"),
    ("lineage.png", "#/node/model.shop.stg_orders/lineage/2"),
    ("monitors.png", "#/monitors"),
    ("governance.png", "#/governance"),
    ("runs.png", "#/runs"),
]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from airflow_provider_dango.catalog.build import build_static
    from airflow_provider_dango.config import load_project
    from tests.catalog.conftest import CHROMIUM, CHROMIUM_ARGS

    parser = argparse.ArgumentParser()
    parser.add_argument("--airflow", action="store_true")
    args = parser.parse_args()
    project = load_project(REPO / "examples" / "shop")
    index = build_static(project)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 820})
        for name, route in PAGES:
            page.goto(index.as_uri() + route)
            page.wait_for_selector("body[data-ready='1']")
            page.screenshot(path=str(DOCS / name))
            print(DOCS / name)
        if args.airflow:
            from tests.catalog.airflow_server import api_server

            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "shop"
                shutil.copytree(project.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".airflow"))
                with api_server(Path(tmp) / "airflow", copy) as server:
                    context = browser.new_context(viewport={"width": 1300, "height": 820})
                    context.add_cookies([{"name": "_token", "value": server.token("admin"), "url": server.url}])
                    pg = context.new_page()
                    pg.goto(server.url + "/dango/governance")
                    pg.wait_for_selector("body[data-ready='1']")
                    pg.screenshot(path=str(DOCS / "governance_airflow.png"))
                    pg.goto(server.url + "/plugin/dango_catalog")
                    pg.wait_for_timeout(6000)
                    pg.screenshot(path=str(DOCS / "airflow_nav.png"))
                    print(DOCS / "governance_airflow.png", DOCS / "airflow_nav.png")
        browser.close()


if __name__ == "__main__":
    main()
