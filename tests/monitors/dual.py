"""A small dbt project that uses the dango_monitors package on DuckDB or on a real PostgreSQL, with the same tables
loaded into either, so the monitor macros can be run (and their verdicts compared) on both warehouses."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.services.postgres import postgres_output

PROFILES = """dual:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{{ env_var('DANGO_WAREHOUSE') }}"
      threads: 1
""" + postgres_output("postgres", schema="public")


class DualProject:
    """`target` is 'duckdb' or 'postgres'; `pg` the PostgresServer for the latter."""

    def __init__(self, root: Path, target: str, pg: Any = None) -> None:
        self.root, self.target, self.pg = root, target, pg
        self.warehouse = root / "warehouse.duckdb"
        (root / "models").mkdir(parents=True, exist_ok=True)
        (root / "dbt_project.yml").write_text(
            "name: dual\nversion: '1.0'\nconfig-version: 2\nprofile: dual\nmodel-paths: [models]\n"
        )
        (root / "profiles.yml").write_text(PROFILES)
        (root / "packages.yml").write_text(f"packages:\n  - local: {REPO / 'dbt_packages' / 'dango_monitors'}\n")
        self.dbt(["deps", "--quiet"])

    def env(self) -> dict[str, str]:
        env = {"DANGO_WAREHOUSE": str(self.warehouse)}
        if self.pg is not None:
            env.update(self.pg.env())
        else:
            unused = ("DANGO_PG_HOST", "DANGO_PG_USER", "DANGO_PG_PASSWORD", "DANGO_PG_DBNAME")
            env.update({k: "unused" for k in unused})
            env["DANGO_PG_PORT"] = "5432"
        return env

    def dbt(self, args: list[str], ok: bool = True) -> tuple[Any, str]:
        """Run dbt in-process; returns (result, everything dbt printed)."""
        from dbt.cli.main import dbtRunner

        old = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                result = dbtRunner().invoke(
                    [*args, "--project-dir", str(self.root), "--profiles-dir", str(self.root)]
                    + (["--target", self.target] if args[0] not in ("deps",) else [])
                )
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if ok and not result.success:
            raise AssertionError(f"dbt {args[:2]} failed: {result.exception}\n{buffer.getvalue()[-3000:]}")
        return result, buffer.getvalue()

    def run_monitors(self, monitors: list[dict], as_of: str, run_id: str = "r1", ok: bool = True) -> tuple[Any, str]:
        args = {"monitors": monitors, "as_of": as_of, "run_id": run_id}
        return self.dbt(["run-operation", "dango_monitors.run_monitors", "--args", json.dumps(args)], ok=ok)

    def execute(self, sql: str, params: list | None = None) -> list[tuple]:
        if self.target == "duckdb":
            import duckdb

            with duckdb.connect(str(self.warehouse)) as con:
                cur = con.execute(sql, params or [])
                return cur.fetchall() if cur.description else []
        import psycopg2

        con = psycopg2.connect(host=self.pg.host, port=self.pg.port, user=self.pg.user, password=self.pg.password,
                               dbname=self.pg.dbname)
        try:
            with con, con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params or None)
                return cur.fetchall() if cur.description else []
        finally:
            con.close()

    def load(self, schema: str, table: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        """Create schema.table (names quoted, any characters) with (name, type) columns and insert the rows."""
        q = quote
        self.execute(f"create schema if not exists {q(schema)}")
        self.execute(f"drop table if exists {q(schema)}.{q(table)}")
        cols = ", ".join(f"{q(n)} {t}" for n, t in columns)
        self.execute(f"create table {q(schema)}.{q(table)} ({cols})")
        if not rows:
            return
        if self.target == "duckdb":
            import duckdb

            with duckdb.connect(str(self.warehouse)) as con:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {q(schema)}.{q(table)} values ({marks})", rows)
            return
        import psycopg2.extras

        con = psycopg2.connect(host=self.pg.host, port=self.pg.port, user=self.pg.user, password=self.pg.password,
                               dbname=self.pg.dbname)
        try:
            with con, con.cursor() as cur:
                psycopg2.extras.execute_values(cur, f"insert into {q(schema)}.{q(table)} values %s", rows)
        finally:
            con.close()

    def results(self, run_id: str = "r1") -> list[dict]:
        cols = ["monitor", "dimension", "dimension_value", "value", "baseline", "change_pct", "score",
                "series_status", "monitor_status", "reason", "flagged_by", "n_train"]
        rows = self.execute(
            f"select {', '.join(cols)} from dango.dango_monitor_results where run_id = ? "
            "order by monitor, dimension, dimension_value", [run_id]
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def poisson_days(rng: Any, end: dt.date, days: int, segments: dict[str, Any], today: dict[str, int] | None = None,
                 start_id: int = 0) -> list[tuple]:
    """Rows (id, status, amount, created_at): for each past day, per segment a count (an int, or a callable of the
    rng for noisy counts); on `end` the counts in `today` (segments missing from it keep their usual count)."""
    rows, i = [], start_id
    for back in range(days, -1, -1):
        day = end - dt.timedelta(days=back)
        for seg, how in segments.items():
            n = how(rng) if callable(how) else how
            if back == 0 and today is not None and seg in today:
                n = today[seg]
            for _ in range(n):
                i += 1
                rows.append((i, seg, 1.0, dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)))))
        if back == 0 and today:
            for seg, n in today.items():
                if seg in segments:
                    continue
                for _ in range(n):
                    i += 1
                    rows.append((i, seg, 1.0, dt.datetime.combine(day, dt.time(12, 0))))
    return rows
