"""DangoDbtCommandOperator: a `dbt_command` Cosmos cannot render as a graph (seed, snapshot, run-operation, ...)."""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.audit.dbt_results import record_run_results_file
from airflow_provider_dango.dbt import parse_dbt_command, run_dbt
from airflow_provider_dango.hooks.dbt_outcome import add_failing_tests, record_dbt_outcome
from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse


class DangoDbtCommandOperator(BaseOperator):
    template_fields: Sequence[str] = ("project_dir", "command")
    ui_color = "#ff9b6b"

    def __init__(self, *, project_dir: str, command: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.command = command

    def execute(self, context: Any) -> None:
        project = load_project_with_warehouse(self.project_dir)
        argv = parse_dbt_command(self.command).argv
        self.log.info("Running dbt %s", shlex.join(argv))
        started = time.time()
        try:
            run_dbt(project, argv)
        finally:
            _record_dbt_results(project, context, started)
            if record_dbt_outcome(project, project.dbt_project_dir / "target", context, since=started):
                add_failing_tests(project, context)  # for the retry policy and the failure alert


def _record_dbt_results(project: Any, context: Any, started: float) -> None:
    """Audit trail: this command's node results (run_results.json), failed ones included. Never raises."""
    try:
        record_run_results_file(project, project.dbt_project_dir / "target", context, since=started)
    except Exception as exc:
        logging.getLogger(__name__).warning("dango audit: dbt results not recorded: %s", exc)


FAILED_STATUSES = ("error", "fail", "runtime error")


class DangoDbtBuildOperator(BaseOperator):
    """The dbt work of a schedule as one task (`dbt_tasks: single`): one `dbt build` (or `dbt run`) of the selection.

    One dbt start-up and one task start instead of one of each per model and per test, which is most of a run's time
    under a real scheduler. What per-model tasks showed stays visible: every node's result is in the audit trail
    (`dango_audit_dbt_results`) and in this task's XCom, and a failure names the failing models and tests. Models
    behind a source with breaking drift are excluded from the build (the schema_drift task's verdict), so the drift
    gate blocks exactly what it blocked per model; when nothing is left to build the task is skipped.
    """

    template_fields: Sequence[str] = ("project_dir",)
    ui_color = "#ff9b6b"

    def __init__(
        self,
        *,
        project_dir: str,
        select: list[str],
        exclude: list[str] | None = None,
        verb: str = "build",
        full_refresh: bool = False,
        drift_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.select = list(select)
        self.exclude = list(exclude or [])
        self.verb = verb
        self.full_refresh = full_refresh
        self.drift_task_id = drift_task_id  # set by the drift step when a drift task runs before this one

    def _drift_excludes(self, context: Any) -> list[str]:
        """Models the drift task found behind a blocked source (skipped, as the per-model gate does)."""
        if not self.drift_task_id:
            return []
        from airflow.sdk.exceptions import AirflowSkipException

        from airflow_provider_dango.drift import describe_block

        result = context["ti"].xcom_pull(task_ids=self.drift_task_id)
        if not isinstance(result, dict) or not result.get("blocked_sources"):
            return []
        skipped = list(result.get("skipped_models") or [])
        reason = describe_block(result, set(result["blocked_sources"])) or "skipped: breaking schema drift"
        if not self.exclude and self.select and set(self.select) <= set(skipped):
            raise AirflowSkipException(reason)
        self.log.warning("%d model(s) %s: %s", len(skipped), reason, ", ".join(skipped))
        return skipped

    def argv(self, drift_excludes: list[str]) -> list[str]:
        argv = [self.verb]
        if self.select:
            argv += ["--select", *self.select]
        if self.exclude or drift_excludes:
            argv += ["--exclude", *self.exclude, *drift_excludes]
        if self.full_refresh:
            argv.append("--full-refresh")
        return argv

    def execute(self, context: Any) -> dict[str, Any]:
        skipped_by_drift = self._drift_excludes(context)
        project = load_project_with_warehouse(self.project_dir)
        argv = self.argv(skipped_by_drift)
        self.log.info("Running dbt %s", shlex.join(argv))
        started = time.time()
        try:
            run_dbt(project, argv)
        except Exception as exc:
            failing = _failing_nodes(project.dbt_project_dir / "target", started)
            if failing:
                raise DbtBuildFailed(f"dbt {self.verb} failed: {'; '.join(failing)}") from exc
            raise
        finally:
            _record_dbt_results(project, context, started)
            if record_dbt_outcome(project, project.dbt_project_dir / "target", context, since=started):
                add_failing_tests(project, context)  # for the retry policy and the failure alert
        return {"results": _node_statuses(project.dbt_project_dir / "target", started),
                "skipped_by_drift": skipped_by_drift}


class DbtBuildFailed(RuntimeError):
    """One line naming every failing model and test of a single-task dbt build."""


def _run_results(target: Any, since: float) -> list[dict[str, Any]]:
    import json

    path = target / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("results") or []


def _node_statuses(target: Any, since: float) -> dict[str, str]:
    """unique_id -> dbt status of each node of this build (the per-model view)."""
    return {r.get("unique_id", ""): str(r.get("status")) for r in _run_results(target, since)}


def _failing_nodes(target: Any, since: float) -> list[str]:
    """`model.shop.fct_orders (error: ...)`, `test.shop.not_null_... (fail: 3 failing rows)` for this build."""
    found = []
    for result in _run_results(target, since):
        status = str(result.get("status"))
        if status not in FAILED_STATUSES:
            continue
        detail = result.get("message") or status
        if result.get("failures"):
            detail = f"{result['failures']} failing row(s)"
        found.append(f"{result.get('unique_id')} ({status}: {str(detail).splitlines()[0][:200]})")
    return found
