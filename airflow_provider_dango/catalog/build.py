"""Build the catalog model of a dango project, and write the static export (`dango catalog build`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow_provider_dango.catalog.jsonio import json_bytes
from airflow_provider_dango.catalog.model import build_model, load_json
from airflow_provider_dango.catalog.pack import pack
from airflow_provider_dango.catalog.page import render_page
from airflow_provider_dango.catalog.warehouse_reads import WarehouseState, load_state

log = logging.getLogger(__name__)

DEFAULT_OUT = Path("target") / "dango_catalog"


def _monitors(project: Any) -> list[Any]:
    from airflow_provider_dango.config.monitors import load_monitors

    try:
        return list(load_monitors(project.root).monitors)
    except Exception as exc:  # a broken monitors.yml must not take the catalog down; `dango validate` reports it
        log.warning("dango catalog: monitors.yml not read: %s", exc)
        return []


def _source_dags(project: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for schedule in project.schedules:
        for source in schedule.sources:
            out.setdefault(source, []).append(schedule.dag_id)
    return out


def catalog_model(project: Any, state: WarehouseState | None = None) -> dict[str, Any]:
    """The catalog of `project`: its manifest, dbt's catalog.json when `dbt docs generate` wrote one, the warehouse."""
    from airflow_provider_dango.config.pii_overrides import load_pii_overrides

    manifest = load_json(project.manifest_path)
    dbt_catalog = load_json(project.dbt_project_dir / "target" / "catalog.json")
    overrides, _ = load_pii_overrides(project.dango_dir, project.root)
    return build_model(
        manifest,
        state if state is not None else load_state(project),
        dbt_catalog=dbt_catalog,
        overrides=overrides,
        monitors_config=_monitors(project),
        project_name=project.settings.project.name,
        source_dags=_source_dags(project),
    )


def write_static(model: dict[str, Any], out: Path) -> Path:
    """`out/index.html` (works from file://, data embedded) and `out/catalog.json`; returns index.html's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "catalog.json").write_bytes(json_bytes(model))
    index = out / "index.html"
    index.write_text(render_page({"mode": "static"}, pack(model)), encoding="utf-8")
    return index


def build_static(project: Any, out: Path | None = None) -> Path:
    out = out or project.root / DEFAULT_OUT
    return write_static(catalog_model(project), out)
