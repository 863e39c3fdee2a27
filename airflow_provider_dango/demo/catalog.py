"""The last story of `dango demo`: the static data catalog of everything the demo just built."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.catalog.build import build_static


def story(project: Any, dag: Any, dag_run: Any, console: Any) -> None:
    """Write `target/dango_catalog/` (works from file://; `dango catalog build`) and print where it is."""
    with console.status("building the static data catalog..."):
        index = build_static(project)
    console.print("\n[bold]Data catalog[/] (static, works from file://; `dango catalog build`)")
    console.print(f"Open: {index.as_uri()}", markup=False)
    console.print(f"Catalog: {index}", markup=False)  # the demo's last line: where the catalog is
