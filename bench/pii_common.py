"""Shared helpers for the PII benchmarks: a throwaway dbt project using dango_monitors against a DuckDB file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "dbt_packages" / "dango_monitors"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from airflow_provider_dango.commands.output import silenced_stdout  # noqa: E402  (after the telemetry defaults)


class BenchDbt:
    """A minimal dbt project in `root` whose profile points at `warehouse`, with dango_monitors installed."""

    def __init__(self, root: Path, warehouse: Path | None, postgres: Any = None) -> None:
        """`postgres`: a tests.services.postgres.PostgresServer to use instead of the DuckDB file."""
        self.root = root
        self.warehouse = warehouse
        root.mkdir(parents=True, exist_ok=True)
        (root / "dbt_project.yml").write_text(
            "name: pii_bench\nversion: '1.0'\nconfig-version: 2\nprofile: pii_bench\n", encoding="utf-8"
        )
        if postgres is None:
            output = f"type: duckdb\n      path: '{warehouse}'\n"
        else:
            s = postgres
            output = (
                f"type: postgres\n      host: {s.host}\n      port: {s.port}\n      user: {s.user}\n"
                f"      password: \"{{{{ env_var('DANGO_PG_PASSWORD') }}}}\"\n"
                f"      dbname: {s.dbname}\n      schema: public\n"
            )
            os.environ["DANGO_PG_PASSWORD"] = s.password
        (root / "profiles.yml").write_text(
            f"pii_bench:\n  target: dev\n  outputs:\n    dev:\n      {output}      threads: 1\n", encoding="utf-8"
        )
        (root / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
        shutil.rmtree(root / "dbt_packages", ignore_errors=True)
        self.invoke(["deps", "--quiet"])

    def invoke(self, args: list[str]) -> Any:
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke([*args, "--project-dir", str(self.root), "--profiles-dir", str(self.root)])
        if not result.success:
            raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception}")
        return result

    def compile_inline(self, jinja: str) -> str:
        """SQL produced by a dango_monitors macro call (dbt compile --inline)."""
        with silenced_stdout():  # dbt prints the compiled SQL even with --quiet
            result = self.invoke(["--quiet", "compile", "--inline", jinja])
        return result.result.results[0].node.compiled_code

    def verdict_sql(
        self, schema: str, table: str, columns: list[str], full: bool, row_count: int | None, skip_unhinted: bool = True
    ) -> str:
        rel = f'"{schema}"."{table}"'
        cols = "[" + ", ".join(repr(c) for c in columns) + "]"
        rc = "none" if row_count is None else str(row_count)
        return self.compile_inline(
            f"{{{{ dango_monitors.pii_verdict_sql('{rel}', '{schema}.{table}', {cols}, full={str(full).lower()}, "
            f"row_count={rc}, skip_unhinted={str(skip_unhinted).lower()}) }}}}"
        )
