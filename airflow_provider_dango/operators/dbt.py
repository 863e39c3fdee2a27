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
