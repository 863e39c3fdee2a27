"""DangoSyncOperator: one dlt source -> `raw_<source>`, row counts from dlt's load info returned via XCom."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse
from airflow_provider_dango.steps import Scope
from airflow_provider_dango.sync import run_step


class DangoSyncOperator(BaseOperator):
    """Sync one source of a dango project. Returns `{source, rows_loaded: {table: n}, load_ids, ...}`."""

    template_fields: Sequence[str] = ("project_dir", "source_name")
    ui_color = "#f4d8a5"

    def __init__(self, *, project_dir: str, source_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.source_name = source_name

    def execute(self, context: Any) -> dict[str, Any]:
        project = load_project_with_warehouse(self.project_dir)
        scope = Scope(sources=[self.source_name], dag_id=self.dag_id)
        result = run_step(project, scope, run_id=context.get("run_id"))
        width = max((len(t) for t in result.rows_loaded), default=5)
        lines = [f"  {t:<{width}}  {n:>10,}" for t, n in result.rows_loaded.items()]
        self.log.info(
            "Synced %s into %s in %.1f s: %s rows\n%s",
            self.source_name,
            result.schema,
            result.duration_seconds,
            f"{result.total_rows:,}",
            "\n".join(lines),
        )
        return result.as_dict()
