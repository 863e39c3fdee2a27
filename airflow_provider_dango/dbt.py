"""dbt glue with no Airflow import: where the project and profile are, building the manifest, running commands.

The DAG factory renders dbt from a prebuilt `manifest.json` (Cosmos LoadMode.DBT_MANIFEST) so that parsing DAGs
never runs dbt; `dango dbt manifest` (and `make demo`) build that manifest ahead of time.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from airflow_provider_dango.config import DangoProject

WAREHOUSE_ENV = "DANGO_WAREHOUSE"
MONITORS_PATH_ENV = "DANGO_MONITORS_PATH"
QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}


def dango_monitors_path() -> Path:
    """The dango_monitors dbt package: $DANGO_MONITORS_PATH, else the copy in the wheel, else this source checkout's.

    Projects name it as `local: "{{ env_var('DANGO_MONITORS_PATH') }}"` in packages.yml, and every dbt run that dango
    starts sets that variable, so a project copied anywhere resolves the package with no machine-specific path.
    """
    configured = os.environ.get(MONITORS_PATH_ENV)
    if configured:
        return Path(configured).resolve()
    here = Path(__file__).resolve().parent
    shipped = here / "dbt_packages" / "dango_monitors"  # laid there by setup.py when the wheel is built
    return shipped if shipped.is_dir() else here.parent / "dbt_packages" / "dango_monitors"


@dataclass(frozen=True)
class DbtProfile:
    project_name: str
    profile_name: str
    target_name: str
    profiles_yml: Path


@lru_cache(maxsize=64)
def _read_yaml(path: Path, mtime: float) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def read_yaml_cached(path: Path) -> Any:
    """Parse-time reads of the same small YAML across 100 DAGs: read once per file version."""
    return _read_yaml(path, path.stat().st_mtime)


def dbt_profile(project: DangoProject) -> DbtProfile:
    dbt_project = read_yaml_cached(project.dbt_project_dir / "dbt_project.yml")
    profile_name = project.settings.airflow.dbt_profile or dbt_project.get("profile") or dbt_project["name"]
    profiles_yml = project.dbt_profiles_dir / "profiles.yml"
    target = project.settings.airflow.dbt_target
    if target is None and profiles_yml.exists():
        target = (read_yaml_cached(profiles_yml).get(profile_name) or {}).get("target")
    return DbtProfile(dbt_project["name"], profile_name, target or "dev", profiles_yml)


def dbt_env(project: DangoProject) -> dict[str, str]:
    """Environment every dbt invocation gets: the warehouse path (profiles read it), the dango_monitors package's
    folder (packages.yml reads it) and telemetry off."""
    return {
        WAREHOUSE_ENV: str(project.warehouse_path),
        MONITORS_PATH_ENV: str(dango_monitors_path()),
        **QUIET_ENV,
    }


@contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class DbtCommandError(RuntimeError):
    pass


def run_dbt(project: DangoProject, args: list[str]) -> Any:
    """Run dbt in-process (dbtRunner) against the project's dbt folder; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    from airflow_provider_dango.warehouse import warehouse_lock

    full = [*args, "--project-dir", str(project.dbt_project_dir), "--profiles-dir", str(project.dbt_profiles_dir)]
    with patched_env(dbt_env(project)), warehouse_lock(project.warehouse_path):
        result = dbtRunner().invoke(full)
    if not result.success:
        detail = f": {result.exception}" if result.exception else ""
        raise DbtCommandError(f"`dbt {shlex.join(args)}` failed{detail}")
    return result


def build_manifest(project: DangoProject) -> Path:
    """`dbt deps` when the project has packages, then `dbt parse`: writes target/manifest.json."""
    dbt_dir = project.dbt_project_dir
    if (dbt_dir / "packages.yml").exists() or (dbt_dir / "dependencies.yml").exists():
        run_dbt(project, ["deps", "--quiet"])
    run_dbt(project, ["parse", "--quiet"])
    manifest = dbt_dir / "target" / "manifest.json"
    if project.manifest_path != manifest and manifest.exists():
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        project.manifest_path.write_bytes(manifest.read_bytes())
    return project.manifest_path


def load_manifest(project: DangoProject) -> dict[str, Any]:
    return json.loads(project.manifest_path.read_text(encoding="utf-8"))


def models_downstream_of_sources(manifest: dict[str, Any], sources: list[str]) -> list[str]:
    """Unique ids of the models (and tests) downstream of the given dbt source names: `source:<name>+`."""
    children = manifest.get("child_map", {})
    start = [uid for uid, src in manifest.get("sources", {}).items() if src.get("source_name") in sources]
    seen: set[str] = set()
    stack = list(start)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(uid for uid in seen if uid.startswith("model."))


@dataclass(frozen=True)
class DbtCommand:
    """A `dbt_command` from schedules.yml, split into what Cosmos can render."""

    verb: str
    select: list[str]
    exclude: list[str]
    full_refresh: bool
    renderable: bool
    argv: list[str]


def parse_dbt_command(command: str) -> DbtCommand:
    """`dbt build --select marts+ --exclude tag:slow` -> verb, select, exclude; other flags make it a plain command."""
    argv = shlex.split(command)
    if argv and argv[0] == "dbt":
        argv = argv[1:]
    verb = argv[0] if argv else "build"
    select: list[str] = []
    exclude: list[str] = []
    full_refresh = False
    renderable = verb in ("build", "run")
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("--select", "-s", "--models", "-m", "--exclude"):
            values = []
            while i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                values.extend(argv[i + 1].split())
                i += 1
            (exclude if arg == "--exclude" else select).extend(values)
        elif arg == "--full-refresh":
            full_refresh = True
        else:
            renderable = False
        i += 1
    return DbtCommand(verb, select, exclude, full_refresh, renderable, argv)


def run_operation(project: DangoProject, macro: str, args: dict[str, Any] | None = None) -> Any:
    """`dbt run-operation <macro> --args <json>`: how Python runs a dango_monitors macro (it writes dango_* tables)."""
    argv = ["run-operation", macro]
    if args:
        argv += ["--args", json.dumps(args)]
    return run_dbt(project, argv)
