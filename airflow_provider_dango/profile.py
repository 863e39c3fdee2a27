"""Column profiles, the Python side (no Airflow import): run `dango_monitors.profile_run` inside the warehouse.

The statistics are computed in SQL (`dango_monitors/macros/profile/`), one scan per table, and appended to
`dango.dango_column_profiles` under the run id, so every profile has history. Values of PII columns never leave the
warehouse: the macro masks columns with PII findings or `pii` overrides, and this module adds the columns the dbt
project marks `meta: {pii: true}` and the same-named columns of models downstream of a PII column.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dango.config import DangoProject

log = logging.getLogger(__name__)

PROFILES_TABLE = "dango_column_profiles"
PROFILE_MACRO = "dango_monitors.profile_run"


@dataclass
class ProfileResult:
    """What a profile step did: which relations, under which run id, how long it took."""

    run_id: str
    relations: list[str] = field(default_factory=list)
    columns: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "relations": self.relations,
            "columns": self.columns,
            "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        return (
            f"profiled {len(self.relations)} table(s), {self.columns} column(s) in {self.seconds:.1f} s "
            f"(run {self.run_id})"
        )


def relation_of(node: dict[str, Any]) -> str:
    """`schema.table` of a manifest node or source as the warehouse's information_schema spells it."""
    name = node.get("alias") or node.get("identifier") or node["name"]
    return f"{node['schema']}.{name}"


def scope_relations(
    manifest: dict[str, Any], sources: list[str] | None = None, model_ids: list[str] | None = None
) -> list[str]:
    """Relations built or loaded by a run: the synced sources' tables and the models downstream of them (the models
    a sync DAG just built); every model, seed and snapshot when neither is given."""
    from airflow_provider_dango.dbt import models_downstream_of_sources

    nodes = manifest.get("nodes", {})
    chosen: list[dict[str, Any]] = []
    if sources is None and model_ids is None:
        chosen = [
            n
            for n in nodes.values()
            if n.get("resource_type") in ("model", "seed", "snapshot")
            and (n.get("config") or {}).get("materialized") != "ephemeral"
        ]
    else:
        ids = list(model_ids or [])
        if sources:
            chosen += [s for s in manifest.get("sources", {}).values() if s.get("source_name") in sources]
            ids += models_downstream_of_sources(manifest, sources)
        chosen += [
            nodes[i] for i in ids if i in nodes and (nodes[i].get("config") or {}).get("materialized") != "ephemeral"
        ]
    return sorted({relation_of(n) for n in chosen})


def masked_columns(manifest: dict[str, Any] | None) -> list[str]:
    """`schema.table.column` marked PII in the dbt project (`meta: {pii: true}` or `contains_pii`)."""
    if not manifest:
        return []
    out = []
    for node in [*manifest.get("nodes", {}).values(), *manifest.get("sources", {}).values()]:
        if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
            continue
        for col in (node.get("columns") or {}).values():
            meta = col.get("meta") or {}
            if meta.get("pii") is True or meta.get("contains_pii") is True:
                out.append(f"{relation_of(node)}.{col['name']}")
    return sorted(out)


def run_step(
    project: DangoProject,
    scope: list[str] | None = None,
    run_id: str | None = None,
    schedule: str | None = None,
    quiet: bool = True,
) -> ProfileResult:
    """Profile `scope` (relations `schema.table`; None = every user table) under `run_id`; returns what was done."""
    from airflow_provider_dango.catalog.warehouse_reads import PiiColumns, open_rows
    from airflow_provider_dango.dbt import load_manifest, run_dbt

    run_id = run_id or f"profile_{uuid.uuid4().hex[:12]}"
    manifest = load_manifest(project) if project.manifest_path.exists() else None
    masked = set(masked_columns(manifest))
    if manifest:
        with open_rows(project) as rows:
            masked |= {f"{table}.{column}" for table, column in PiiColumns.read(rows).propagated(manifest)}
    args: dict[str, Any] = {"run_id": run_id, "masked": sorted(masked)}
    if scope is not None:
        if not scope:
            return ProfileResult(run_id)
        args["relations"] = scope
    started = time.monotonic()
    run_dbt(project, [*(["--quiet"] if quiet else []), "run-operation", PROFILE_MACRO, "--args", json.dumps(args)])
    result = ProfileResult(run_id, seconds=time.monotonic() - started)
    with open_rows(project) as rows:
        found = rows(
            f"SELECT table_name, count(*) AS n FROM {{dango}}.{PROFILES_TABLE} WHERE run_id = ? GROUP BY 1", [run_id]
        )
    result.relations = sorted(r["table_name"] for r in found)
    result.columns = sum(int(r["n"]) for r in found)
    log.info("dango profile%s: %s", f" ({schedule})" if schedule else "", result.summary())
    return result
