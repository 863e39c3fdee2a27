"""The accepted drift baselines as committed files, so `dbt test` on a fresh CI database can fail on drift (core).

`dango drift baseline export` reads `dango.dango_schema_baselines` and writes two files with the same content:

- a YAML file for people and code review (default `.dango/drift_baseline.yml`):

      version: 1
      tables:
        - schema: raw_shop
          table: orders
          accepted_by: dango drift accept
          columns:
            - {name: id, type: BIGINT, nullable: false}

- the dbt seed `dango_drift_baseline` (CSV plus a properties file with its column types) in the dbt project's first
  seed path, which `no_breaking_schema_drift` reads with `compare_to: committed`. `dbt build` loads the seed before
  the test (the test refs it), so nothing but dbt is needed in CI.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, qualified

BASELINES_TABLE = "dango_schema_baselines"
SEED_NAME = "dango_drift_baseline"
DEFAULT_OUT = ".dango/drift_baseline.yml"
SEED_COLUMNS = ("table_schema", "table_name", "column_name", "ordinal_position", "data_type", "is_nullable")

YAML_HEADER = """\
# dango drift baseline: the accepted columns of every checked table, written by `dango drift baseline export`.
# Commit it with the seed {seed}.csv: `no_breaking_schema_drift` (compare_to: committed) reads the seed in CI.
"""

SEED_PROPERTIES = """\
# Written by `dango drift baseline export`: the committed drift baseline that no_breaking_schema_drift reads with
# compare_to: committed. Export again (and commit) after accepting a change.
version: 2
seeds:
  - name: {seed}
    description: Accepted columns per table (dango drift baseline), one row per column.
    config:
      column_types:
        table_schema: varchar
        table_name: varchar
        column_name: varchar
        ordinal_position: integer
        data_type: varchar
        is_nullable: varchar
"""


class BaselineExportError(RuntimeError):
    """Nothing to export (no baselines yet), or the files cannot be written."""


@dataclass
class BaselineTable:
    schema: str
    table: str
    accepted_by: str | None
    columns: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportResult:
    tables: list[BaselineTable]
    yaml_path: Path
    seed_path: Path

    def summary(self) -> str:
        cols = sum(len(t.columns) for t in self.tables)
        return (
            f"exported the baselines of {len(self.tables)} table(s), {cols} column(s): {self.yaml_path} and "
            f"{self.seed_path}"
        )


def read_baselines(project: DangoProject) -> list[BaselineTable]:
    """The accepted baselines in the warehouse, one entry per table, columns in ordinal order."""
    warehouse = for_project(project)
    if not warehouse.table_exists(META_SCHEMA, BASELINES_TABLE):
        return []
    rows = warehouse.rows(
        "SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable, accepted_by "
        f"FROM {qualified(BASELINES_TABLE)} ORDER BY table_schema, table_name, ordinal_position, column_name"
    )
    tables: dict[tuple[str, str], BaselineTable] = {}
    for schema, table, column, position, data_type, nullable, accepted_by in rows:
        entry = tables.setdefault((schema, table), BaselineTable(schema, table, accepted_by))
        entry.columns.append(
            {"name": column, "position": int(position), "type": data_type, "nullable": nullable != "NO"}
        )
    return list(tables.values())


def to_yaml(tables: list[BaselineTable]) -> str:
    doc = {
        "version": 1,
        "tables": [
            {
                "schema": t.schema,
                "table": t.table,
                **({"accepted_by": t.accepted_by} if t.accepted_by else {}),
                "columns": [{"name": c["name"], "type": c["type"], "nullable": c["nullable"]} for c in t.columns],
            }
            for t in tables
        ],
    }
    return YAML_HEADER.format(seed=SEED_NAME) + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def to_seed_csv(tables: list[BaselineTable]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for t in tables:
        for position, c in enumerate(t.columns, start=1):
            writer.writerow([t.schema, t.table, c["name"], position, c["type"], "YES" if c["nullable"] else "NO"])
    return buffer.getvalue()


def seed_dir(project: DangoProject) -> Path:
    """The dbt project's first seed path (dbt's default `seeds`)."""
    path = project.dbt_project_dir / "dbt_project.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    paths = data.get("seed-paths") or ["seeds"]
    return project.dbt_project_dir / str(paths[0])


def export(project: DangoProject, out: Path | None = None, seeds: Path | None = None) -> ExportResult:
    """Write the accepted baselines to the YAML file and the dbt seed; BaselineExportError when there are none."""
    tables = read_baselines(project)
    if not tables:
        raise BaselineExportError(
            f"no accepted baselines in {META_SCHEMA}.{BASELINES_TABLE} yet: run `dango drift check` (or `dbt test` "
            "with no_breaking_schema_drift) on a warehouse with the tables first"
        )
    yaml_path = Path(out) if out else project.path(DEFAULT_OUT)
    folder = Path(seeds) if seeds else seed_dir(project)
    seed_path = folder / f"{SEED_NAME}.csv"
    try:
        yaml_path.parent.mkdir(parents=True, exist_ok=True)
        yaml_path.write_text(to_yaml(tables), encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
        seed_path.write_text(to_seed_csv(tables), encoding="utf-8")
        (folder / f"{SEED_NAME}.yml").write_text(SEED_PROPERTIES.format(seed=SEED_NAME), encoding="utf-8")
    except OSError as exc:
        raise BaselineExportError(f"{exc.filename}: cannot write the baseline ({exc.strerror})") from None
    return ExportResult(tables, yaml_path, seed_path)
