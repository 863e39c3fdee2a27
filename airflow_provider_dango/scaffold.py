"""Files of a new project (`dango init`): commented `.dango/` files, a dlt source, a dbt project, the DAG file; or,
with `--dbt-project`, only the `.dango/` files and the DAG file around an existing dbt project (`adopt`)."""

from __future__ import annotations

import re
from pathlib import Path


class ScaffoldError(ValueError):
    pass


PROJECT_YML = """\
# dango project settings. `project:` and `platform:` use Dango's keys; `airflow:` holds dango-airflow additions.
project:
  name: {name}
platform:
  duckdb_path: ./data/warehouse.duckdb   # default; the DuckDB warehouse every task uses
  dbt_project_dir: ./dbt                 # default
airflow:
  pool: dango_warehouse                  # Airflow pool (1 slot) that serialises DuckDB writers
  # dbt_target: dev                      # default: the profile's own target
  # base_url: http://localhost:8080      # Airflow UI, used for links in alerts
"""

SOURCES_YML = """\
# dlt sources. Each lands in schema raw_<name> of the warehouse.
version: "1.0"
sources:
  - name: example
    function: pipelines.example_source:example   # package.module:function returning a dlt source or resource
    args: {{rows: 100}}                           # keyword arguments for the function
    # write_disposition: replace                 # append | replace | merge (default: the resource's own)
    # tables: [events]                           # optional: one Airflow Asset per table
"""

SCHEDULES_YML = """\
# Schedules, in Dango's format. Keys and defaults: see the dango README.
schedules:
  - name: example_daily
    type: sync               # sync (sources then dbt) | sync_only | dbt | script
    cron: daily              # every_15m | every_hour | every_6h | daily | weekly | any 5-field cron
    timezone: UTC            # IANA name
    sources: [example]
    timeout_minutes: 60
    # retries: 2             # dango-airflow additions, with their defaults
    # retry_delay_seconds: 30
    # retry_exponential_backoff: true
    # catchup: latest        # none | latest (run the newest missed run once) | all (needs start_date)
    # max_active_runs: 1
    # tags: []

notifications:
  webhooks: []               # - {{name: team, url: "${{SLACK_WEBHOOK_URL}}", format: slack}}
  on_failure: true
  on_success: true
  on_stale: true
  on_governance: true
  on_analysis: true
  stale_threshold_hours: 24
"""

EXAMPLE_SOURCE = '''\
"""An example dlt resource: replace it with your own source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dlt


@dlt.resource(name="events", primary_key="id", write_disposition="replace")
def example(rows: int = 100) -> Iterator[dict[str, Any]]:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    for i in range(rows):
        yield {{"id": i, "kind": "click" if i % 3 else "view", "created_at": start + dt.timedelta(hours=i)}}
'''

DBT_PROJECT_YML = """\
name: {name}
version: "1.0.0"
config-version: 2
profile: {name}
model-paths: ["models"]
clean-targets: ["target", "dbt_packages"]
models:
  {name}:
    +materialized: view
"""

PROFILES_YML = """\
# dango passes the warehouse path in DANGO_WAREHOUSE so dlt, dbt and the checks share one file.
{name}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('DANGO_WAREHOUSE', '../data/warehouse.duckdb') }}}}"
      threads: 1
"""

# The package's folder comes from DANGO_MONITORS_PATH, which every dbt run that dango starts sets (and
# `dango dbt package-path` prints), so the project stays free of machine-specific paths.
PACKAGES_YML = """\
packages:
  - local: "{{ env_var('DANGO_MONITORS_PATH') }}"
"""

SOURCES_DBT_YML = """\
version: 2
sources:
  - name: example            # the dango source name, so schedules can select source:example+
    schema: raw_example
    tables:
      - name: events
        columns:
          - name: id
            data_tests: [unique, not_null]
"""

STG_MODEL = """\
select id as event_id, kind, created_at
from {{ source('example', 'events') }}
"""

DAG_FILE = '''\
"""Airflow DAGs for the dango project in the parent folder (override with DANGO_PROJECT_DIR)."""

import os
from pathlib import Path

from airflow_provider_dango.dag_factory import build_dags

globals().update(build_dags(os.environ.get("DANGO_PROJECT_DIR", Path(__file__).resolve().parent.parent)))
'''

GITIGNORE = """\
data/
.dango/state/
.airflow/
dbt/target/
dbt/dbt_packages/
dbt/package-lock.yml
dbt/logs/
"""


def scaffold(directory: Path, name: str | None = None, force: bool = False) -> list[Path]:
    """Write a new project into `directory`; returns the files written."""
    directory = directory.resolve()
    name = name or re.sub(r"[^a-z0-9_]", "_", directory.name.lower()).strip("_") or "dango"
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise ScaffoldError(f"project name {name!r} must start with a letter and use a-z, 0-9 and _")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} is not empty (use --force to add the missing files)")
    files = {
        ".dango/project.yml": PROJECT_YML.format(name=name),
        ".dango/sources.yml": SOURCES_YML.format(),
        ".dango/schedules.yml": SCHEDULES_YML.format(),
        "pipelines/__init__.py": "",
        "pipelines/example_source.py": EXAMPLE_SOURCE.format(),
        "dbt/dbt_project.yml": DBT_PROJECT_YML.format(name=name),
        "dbt/profiles.yml": PROFILES_YML.format(name=name),
        "dbt/packages.yml": PACKAGES_YML,
        "dbt/models/staging/_sources.yml": SOURCES_DBT_YML,
        "dbt/models/staging/stg_events.sql": STG_MODEL,
        "dags/dango_dags.py": DAG_FILE,
        ".gitignore": GITIGNORE,
    }
    return _write_missing(directory, files)


ADOPT_PROJECT_YML = """\
# dango project settings around an existing dbt project. The warehouse is that project's dbt target (its own
# profiles.yml: airflow.dbt_profiles_dir, then DBT_PROFILES_DIR, then the dbt project folder, then ~/.dbt).
project:
  name: {name}
platform:
  dbt_project_dir: {dbt_dir}
airflow:
  pool: dango_warehouse                  # Airflow pool (1 slot) that serialises DuckDB writers
  # dbt_profiles_dir: ...                # where profiles.yml is, when dbt would not find it by itself
  # dbt_target: ci                       # default: the profile's own target
"""

ADOPT_SOURCES_YML = """\
# dlt sources, each landing in schema raw_<name>. None yet: this project's data arrives some other way.
version: "1.0"
sources: []
"""

ADOPT_SCHEDULES_YML = """\
# Schedules, in Dango's format. A `type: dbt` schedule runs only dbt_command; add `type: sync` schedules when dango's
# dlt sources feed this project.
schedules:
  - name: dbt_daily
    type: dbt
    cron: daily
    dbt_command: dbt build

notifications:
  webhooks: []
"""


def adopt(directory: Path, dbt_project: Path, name: str | None = None, force: bool = False) -> list[Path]:
    """Write the `.dango/` files and the DAG file for an existing dbt project; nothing inside the dbt project."""
    import os

    directory = directory.resolve()
    dbt_project = dbt_project.resolve()
    if not (dbt_project / "dbt_project.yml").is_file():
        raise ScaffoldError(f"{dbt_project}: no dbt_project.yml (--dbt-project must name a dbt project folder)")
    name = name or re.sub(r"[^a-z0-9_]", "_", directory.name.lower()).strip("_") or "dango"
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise ScaffoldError(f"project name {name!r} must start with a letter and use a-z, 0-9 and _")
    if (directory / ".dango").exists() and not force:
        raise ScaffoldError(f"{directory / '.dango'} exists (use --force to add the missing files)")
    rel = Path(os.path.relpath(dbt_project, directory)).as_posix()
    files = {
        ".dango/project.yml": ADOPT_PROJECT_YML.format(name=name, dbt_dir=rel if rel.startswith(".") else f"./{rel}"),
        ".dango/sources.yml": ADOPT_SOURCES_YML,
        ".dango/schedules.yml": ADOPT_SCHEDULES_YML,
        "dags/dango_dags.py": DAG_FILE,
    }
    return _write_missing(directory, files)


def _write_missing(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write each file that does not exist yet (a user's edits are never overwritten); return the ones written."""
    written = []
    for rel_path, text in files.items():
        path = directory / rel_path
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
