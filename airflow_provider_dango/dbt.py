"""dbt glue with no Airflow import: where the project and profile are, building the manifest, running commands.

The DAG factory renders dbt from a prebuilt `manifest.json` (Cosmos LoadMode.DBT_MANIFEST) so that parsing DAGs
never runs dbt; `dango dbt manifest` (and `make demo`) build that manifest ahead of time.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.warehouse.dbt_run import (  # noqa: F401  (re-exported: the dbt glue API)
    MONITORS_PATH_ENV,
    QUIET_ENV,
    DbtCommandError,
    dango_monitors_path,
    dbt_env,
    patched_env,
    profiles_folder,
    run_dbt,
)
from airflow_provider_dango.warehouse.target import dbt_project_names, target_names


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
    """Names of the project's dbt profile and target and its profiles.yml, for rendering DAGs (no dbt import)."""
    names = target_names(project)
    project_name, _ = dbt_project_names(project)
    return DbtProfile(project_name, names.profile_name, names.target_name, names.profiles_dir / "profiles.yml")


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
    """The parsed manifest (orjson: a few times faster than the standard library on a manifest of megabytes)."""
    import orjson

    return orjson.loads(project.manifest_path.read_bytes())


_MANIFESTS: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def load_manifest_cached(project: DangoProject) -> dict[str, Any]:
    """The manifest, parsed once per file version (100 DAGs in one parse read it once; a task reuses the parse of
    its DAG file). Only the latest version of each file is kept: dbt rewrites the manifest on every run, and a
    long-lived process (the dag-processor) must not hold every version it has seen. Callers must not modify it."""
    stat = project.manifest_path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    key = str(project.manifest_path)
    cached = _MANIFESTS.get(key)
    if cached is None or cached[0] != stamp:
        cached = _MANIFESTS[key] = (stamp, load_manifest(project))
    return cached[1]


def descendants(manifest: dict[str, Any], start: list[str]) -> set[str]:
    """Every node downstream of `start` in the manifest's child map (the one lineage walker)."""
    children = manifest.get("child_map", {})
    seen: set[str] = set()
    stack = list(start)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def relation_of(node: dict[str, Any]) -> str:
    """`schema.table` of a manifest node or source as the warehouse's information_schema spells it."""
    name = node.get("alias") or node.get("identifier") or node["name"]
    return f"{node['schema']}.{name}"


def models_downstream_of_sources(manifest: dict[str, Any], sources: list[str]) -> list[str]:
    """Unique ids of the models downstream of the given dbt source names: `source:<name>+`."""
    start = [uid for uid, src in manifest.get("sources", {}).items() if src.get("source_name") in sources]
    return sorted(uid for uid in descendants(manifest, start) if uid.startswith("model."))


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
