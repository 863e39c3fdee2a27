"""dbt node results (run_results.json) -> `dango_audit_dbt_results` rows, with tags and severity from the manifest.

`record_cosmos_run_results` is the Cosmos `callback` the DAG factory sets on every dbt task: Cosmos runs dbt in a
temporary copy of the project and calls it with that folder before it raises on failures, so failed tests are seen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow_provider_dango.audit.severity import result_severity

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 2000


def _manifest_node(manifest: Mapping[str, Any] | None, unique_id: str) -> Mapping[str, Any]:
    if not manifest:
        return {}
    for section in ("nodes", "sources", "exposures"):
        node = (manifest.get(section) or {}).get(unique_id)
        if node:
            return node
    return {}


def dbt_result_rows(
    run_results: Mapping[str, Any],
    manifest: Mapping[str, Any] | None,
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int,
) -> list[dict[str, Any]]:
    rows = []
    for result in run_results.get("results") or []:
        unique_id = result.get("unique_id") or ""
        node = _manifest_node(manifest, unique_id)
        resource_type = node.get("resource_type") or unique_id.split(".", 1)[0]
        status = str(result.get("status") or "")
        tags = list(node.get("tags") or [])
        attached = node.get("attached_node")
        if not attached and resource_type == "test":
            parents = [p for p in (node.get("depends_on") or {}).get("nodes", []) if p.startswith("model.")]
            attached = parents[0] if parents else None
        message = result.get("message")
        rows.append(
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "try_number": try_number,
                "unique_id": unique_id,
                "node_name": node.get("name") or unique_id.rsplit(".", 1)[-1],
                "resource_type": resource_type,
                "status": status,
                "failures": result.get("failures"),
                "message": str(message)[:MESSAGE_LIMIT] if message is not None else None,
                "execution_time_s": result.get("execution_time"),
                "tags": ",".join(str(t) for t in tags),
                "severity": result_severity({**node, "resource_type": resource_type}, status),
                "attached_to": attached,
            }
        )
    return rows


def record_cosmos_run_results(tmp_project_dir: str, context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Cosmos callback: spool this task's dbt node results. Never raises (it runs inside the dbt task)."""
    try:
        _record(Path(tmp_project_dir), context or {}, kwargs.get("project_dir"))
    except Exception as exc:
        log.warning("dango audit: could not record dbt results: %s", exc)


def _record(tmp_dir: Path, context: Mapping[str, Any], project_dir: str | None) -> None:
    from airflow_provider_dango.audit.listener_core import project_for

    project = project_for(project_dir, None, settings_only=True)
    if project is not None:
        record_run_results_file(project, tmp_dir / "target", context)


def record_run_results_file(project: Any, target_dir: Path, context: Mapping[str, Any], since: float = 0.0) -> None:
    """Spool the node results of `<target_dir>/run_results.json` for the task in `context` (skipped when the file is
    older than `since`, i.e. left over from an earlier command)."""
    from airflow_provider_dango.audit import record_dbt_results

    path = target_dir / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return
    run_results = json.loads(path.read_text(encoding="utf-8"))
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or ""
    manifest = None
    try:
        from airflow_provider_dango.dbt import load_manifest_cached

        manifest = load_manifest_cached(project)
    except Exception:
        local = target_dir / "manifest.json"
        manifest = json.loads(local.read_text(encoding="utf-8")) if local.exists() else None
    rows = dbt_result_rows(
        run_results,
        manifest,
        dag_id=dag_id,
        run_id=str(context.get("run_id") or getattr(ti, "run_id", "")),
        task_id=getattr(ti, "task_id", "") or "",
        try_number=int(getattr(ti, "try_number", 1) or 1),
    )
    record_dbt_results(project, rows)
