"""The drift task of every sync DAG (between sync and dbt) and of every `type: dbt` DAG whose models read dango
sources (first), and the gate that skips dbt behind a broken source.

`DangoDriftOperator` calls `airflow_provider_dango.drift.run_step` and returns its verdict via XCom.
Every Cosmos dbt task of a model that reads (directly or through other models) one of the schedule's sources gets a
pre-execute hook, `DriftGate`: when the drift task reported one of those sources as blocked, the task raises
AirflowSkipException with the reason and the accept command. Skips propagate down the Cosmos graph through the default
`all_success` trigger rule, while models reading only healthy sources run as usual. With `dbt_tasks: single` the one
dbt task reads the same verdict and excludes those models from its build.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_dango.dbt import load_manifest_cached
from airflow_provider_dango.drift import describe_block, model_sources, run_step, schema_sources
from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
from airflow_provider_dango.operators.pipeline import PipelineStep
from airflow_provider_dango.steps import Scope

DRIFT_TASK_ID = "schema_drift"


class DangoDriftOperator(BaseOperator):
    """Check the schemas of the synced sources against their accepted baselines."""

    template_fields: Sequence[str] = ("project_dir",)
    ui_color = "#e0a514"

    def __init__(self, *, project_dir: str, sources: list[str], schedule_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.sources = list(sources)
        self.schedule_name = schedule_name

    def execute(self, context: Any) -> dict[str, Any]:
        project = load_project_with_warehouse(self.project_dir)
        scope = Scope(sources=self.sources, dag_id=self.dag_id)
        result = run_step(project, scope, run_id=context.get("run_id"), schedule=self.schedule_name).as_dict()
        if result["baselined"]:
            self.log.info("First sight, baseline stored: %s", ", ".join(result["baselined"]))
        for change in result["changes"]:
            self.log.info(
                "%s: %s%s %s %s -> %s%s",
                change["severity"],
                change["table"],
                f".{change['column']}" if change["column"] else "",
                change["change"],
                change["old_type"],
                change["new_type"],
                f" (possible rename of {change['rename_of']})" if change["rename_of"] else "",
            )
        if result["blocked_sources"]:
            self.log.error(
                "Breaking schema drift in %s: skipping %d dbt model(s) downstream (%s). Accept the new schema with: %s",
                ", ".join(result["blocked_sources"]),
                len(result["skipped_models"]),
                ", ".join(result["skipped_models"]) or "none",
                "; ".join(f"dango drift accept {s}" for s in result["blocked_sources"]),
            )
        elif result["changes"]:
            self.log.info("Additive schema changes only: baselines advanced, dbt runs")
        else:
            self.log.info("No schema change against the accepted baselines")
        return result


class DriftGate:
    """Pre-execute hook of a dbt task: skip it when a source it reads has unaccepted breaking drift, else run the
    hook the task already had (the warehouse lock of dbt tasks), so a skipped task never waits for the lock."""

    def __init__(self, drift_task_id: str, sources: set[str], then: Any = None) -> None:
        self.drift_task_id = drift_task_id
        self.sources = set(sources)
        self.then = then

    def __call__(self, context: Any) -> None:
        result = context["ti"].xcom_pull(task_ids=self.drift_task_id)
        reason = describe_block(result, self.sources) if isinstance(result, dict) else None
        if reason:
            raise AirflowSkipException(reason)
        if self.then is not None:
            self.then(context)


def _model_name(task_id: str, group_id: str) -> str | None:
    """Cosmos task ids -> model: `dbt.<model>.run`, `dbt.<model>.test`, `dbt.<model>_run` (model without tests)."""
    prefix = f"{group_id}."
    if not task_id.startswith(prefix):
        return None
    rest = task_id[len(prefix) :]
    name, _, _verb = rest.rpartition(".")
    if name:
        return name
    for suffix in ("_run", "_test", "_build", "_seed", "_snapshot"):
        if rest.endswith(suffix):
            return rest[: -len(suffix)]
    return None


def _model_reads(project: Any) -> dict[str, set[str]]:
    """Model name -> the sources it reads (directly or through other models), from the manifest."""
    manifest = load_manifest_cached(project)
    return model_sources(manifest, schema_sources(project, manifest))


def _sources_per_task(project: Any, dbt: Any) -> dict[Any, set[str]]:
    """Each task of a Cosmos dbt group -> the sources its model reads (directly or through other models)."""
    if dbt is None or not hasattr(dbt, "children") or not project.manifest_path.exists():
        return {}
    reads = _model_reads(project)
    group_id = getattr(dbt, "group_id", "dbt")
    found = {}
    for task in _iter_tasks(dbt):
        sources = reads.get(_model_name(task.task_id, group_id) or "", set())
        if sources:
            found[task] = sources
    return found


def gate_dbt_tasks(project: Any, dbt: Any, drift_task_id: str) -> int:
    """Attach a DriftGate to every task of the dbt group whose model reads a source; returns how many."""
    per_task = _sources_per_task(project, dbt)
    for task, sources in per_task.items():
        task._pre_execute_hook = DriftGate(drift_task_id, sources, then=task._pre_execute_hook)
    return len(per_task)


def _iter_tasks(group: Any) -> list[Any]:
    tasks = []
    for child in group.children.values():
        if hasattr(child, "children"):
            tasks.extend(_iter_tasks(child))
        else:
            tasks.append(child)
    return tasks


def pipeline_step(project: Any, schedule: Any, tasks: Any) -> Any:
    """A drift task before dbt: between sync and dbt in every DAG that syncs, and first in a `type: dbt` DAG whose
    models read dango sources (a breaking change found by a sync DAG must not be built over by a dbt-only DAG).
    Either way, dbt tasks behind a blocked source are skipped."""
    single = hasattr(tasks.dbt, "drift_task_id")  # `dbt_tasks: single`: one dbt task, gated by its excludes
    if tasks.syncs:
        sources = list(schedule.sources)
    elif single:
        read = set().union(*_model_reads(project).values()) if project.manifest_path.exists() else set()
        sources = sorted(read & set(project.sources))
        if not sources:
            return None
    else:
        read = set().union(*_sources_per_task(project, tasks.dbt).values())
        sources = sorted(read & set(project.sources))
        if not sources:
            return None
    drift = DangoDriftOperator(
        task_id=DRIFT_TASK_ID,
        project_dir=str(project.root),
        sources=sources,
        schedule_name=schedule.name,
        doc_md="Schema drift: compares the sources' columns with their accepted baselines. Breaking changes "
        "skip the dbt models downstream of that source until `dango drift accept <source>`.",
    )
    if single:
        tasks.dbt.drift_task_id = DRIFT_TASK_ID
    else:
        gate_dbt_tasks(project, tasks.dbt, DRIFT_TASK_ID)
    return PipelineStep(after_sync=[drift])
