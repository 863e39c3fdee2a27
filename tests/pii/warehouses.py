"""One small dbt project with dango_monitors per warehouse (DuckDB file or a real PostgreSQL database), for PII
tests that must give the same verdicts on both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow_provider_dango.commands.output import silenced_stdout
from tests.conftest import REPO

PACKAGE = REPO / "dbt_packages" / "dango_monitors"


class WarehouseProject:
    """`kind` is 'duckdb' or 'postgres'; `server` a tests.services.postgres.PostgresServer for PostgreSQL."""

    def __init__(self, root: Path, kind: str, server: Any = None, models: dict[str, str] | None = None) -> None:
        self.root, self.kind, self.server = root, kind, server
        self.warehouse = root / "warehouse.duckdb"
        (root / "models").mkdir(parents=True, exist_ok=True)
        for name, text in (models or {}).items():
            (root / "models" / name).write_text(text, encoding="utf-8")
        (root / "dbt_project.yml").write_text(
            "name: pii_wh\nversion: '1.0'\nconfig-version: 2\nprofile: pii_wh\n", encoding="utf-8"
        )
        if kind == "duckdb":
            output = f"type: duckdb\n      path: '{self.warehouse}'\n      threads: 1"
        else:
            output = (
                "type: postgres\n      host: \"{{ env_var('DANGO_PG_HOST') }}\"\n"
                "      port: \"{{ env_var('DANGO_PG_PORT') | int }}\"\n      user: \"{{ env_var('DANGO_PG_USER') }}\"\n"
                "      password: \"{{ env_var('DANGO_PG_PASSWORD') }}\"\n"
                "      dbname: \"{{ env_var('DANGO_PG_DBNAME') }}\"\n"
                "      schema: public\n      threads: 1"
            )
        (root / "profiles.yml").write_text(
            f"pii_wh:\n  target: dev\n  outputs:\n    dev:\n      {output}\n", encoding="utf-8"
        )
        (root / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
        self.invoke(["deps", "--quiet"])

    def env(self) -> dict[str, str]:
        return self.server.env() if self.kind == "postgres" else {}

    def invoke(self, args: list[str], check: bool = True) -> Any:
        from dbt.cli.main import dbtRunner

        saved = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        try:
            result = dbtRunner().invoke([*args, "--project-dir", str(self.root), "--profiles-dir", str(self.root)])
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if check:
            assert result.success, result.exception
        return result

    def compile(self, jinja: str) -> str:
        with silenced_stdout():
            result = self.invoke(["--quiet", "compile", "--inline", jinja])
        return result.result.results[0].node.compiled_code

    def connect(self) -> Any:
        if self.kind == "duckdb":
            import duckdb

            return duckdb.connect(str(self.warehouse))
        import psycopg2

        s = self.server
        con = psycopg2.connect(host=s.host, port=s.port, user=s.user, password=s.password, dbname=s.dbname)
        con.autocommit = True
        return con

    def execute(self, *statements: str) -> None:
        con = self.connect()
        try:
            cur = con.cursor()
            for sql in statements:
                cur.execute(sql)
        finally:
            con.close()

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        con = self.connect()
        try:
            cur = con.cursor()
            cur.execute(sql, params) if params is not None else cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            con.close()

    def scan(self, run_id: str, **args: Any) -> list[tuple]:
        """Run `dbt run-operation dango_monitors.pii_scan` and return its findings as (table, column, entity,
        match_mode, prevalence, status) rows."""
        import json

        payload = json.dumps({"run_id": run_id, **args})
        self.invoke(["--quiet", "run-operation", "dango_monitors.pii_scan", "--args", payload])
        return self.query(
            "select table_name, column_name, entity, match_mode, prevalence, status from dango.dango_pii_findings "
            f"where run_id = '{run_id}' order by 1, 2, 3, 4"
        )
