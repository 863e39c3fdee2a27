"""Which warehouse a project uses: the dbt target, resolved with dbt's own profile loading.

The dbt target is the truth. `profiles.yml` is found where dbt looks for it (`airflow.dbt_profiles_dir`, then
`DBT_PROFILES_DIR`, then the dbt project folder, then `~/.dbt`), the profile is the project's (`airflow.dbt_profile`
or `profile:` in dbt_project.yml), the target is `airflow.dbt_target` or the profile's own `target:`. Rendering runs
with dango's `DANGO_WAREHOUSE` set to `platform.duckdb_path`, so a scaffolded profile points at that file, and a
profile with its own hard-coded path wins (then `dango validate` reports the disagreement).

Inside Airflow, `airflow.warehouse_conn_id` replaces the profile: the Airflow adapter turns the connection into
profile data (Cosmos's profile mapping) and hands it to `resolve_target(project, profile_data=...)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WAREHOUSE_ENV = "DANGO_WAREHOUSE"
SUPPORTED = ("duckdb", "postgres")


class WarehouseConfigError(ValueError):
    """The project's warehouse cannot be resolved (no profile, unknown target, unsupported adapter)."""


class WarehouseUnreachableError(ConnectionError):
    """A server warehouse refused or never answered: one line naming the target (never the password)."""


@dataclass(frozen=True)
class WarehouseTarget:
    """The resolved dbt target: its adapter type and what a Python client needs to reach it."""

    type: str
    profile_name: str
    target_name: str
    profiles_dir: Path | None
    path: Path | None = None  # DuckDB: the database file
    credentials: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    schema: str | None = None

    @property
    def is_duckdb(self) -> bool:
        return self.type == "duckdb"

    def describe(self) -> str:
        """One line for people (never a password)."""
        if self.path is not None:
            return f"{self.type} {self.path}"
        c = self.credentials
        return f"{self.type} {c.get('user')}@{c.get('host')}:{c.get('port')}/{c.get('dbname') or c.get('database')}"


def profiles_dir(project: Any) -> Path:
    """Where dbt would read profiles.yml for this project (see the module docstring for the order)."""
    configured = project.settings.airflow.dbt_profiles_dir
    if configured:
        return project.path(configured)
    env = os.environ.get("DBT_PROFILES_DIR")
    if env:
        return Path(env).expanduser().resolve()
    if (project.dbt_project_dir / "profiles.yml").exists():
        return project.dbt_project_dir
    return Path.home() / ".dbt"


def dbt_project_names(project: Any) -> tuple[str, str]:
    """(dbt project name, profile name) from dbt_project.yml and `airflow.dbt_profile`."""
    path = project.dbt_project_dir / "dbt_project.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise WarehouseConfigError(f"{path}: cannot read the dbt project ({exc.strerror})") from None
    name = data.get("name")
    if not name:
        raise WarehouseConfigError(f"{path}: dbt_project.yml has no `name`")
    return name, project.settings.airflow.dbt_profile or data.get("profile") or name


@dataclass(frozen=True)
class TargetNames:
    """What DAG parsing needs to know about the target, without rendering credentials."""

    profile_name: str
    target_name: str
    type: str
    profiles_dir: Path


def target_names(project: Any) -> TargetNames:
    """Profile, target and adapter type for DAG parsing (Cosmos's ProfileConfig, the one-slot pool).

    Parse time must stay fast, and importing dbt to render a profile takes seconds, so this reads the names from
    profiles.yml as written. It never decides which database is read or written: tasks and commands resolve the full
    target with dbt (`resolve_target`), and when a name here is templated (`{{ ... }}`) it defers to that too.
    """
    _, profile_name = dbt_project_names(project)
    folder = profiles_dir(project)
    path = folder / "profiles.yml"
    try:
        profile = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(profile_name) or {}
    except (OSError, yaml.YAMLError):
        profile = {}
    target = project.settings.airflow.dbt_target or profile.get("target") or "default"
    if not profile and project.settings.airflow.warehouse_conn_id:
        # The credentials live in the Airflow connection (Cosmos maps it to a profile): the names are all parsing
        # needs, and the adapter type comes from the connection.
        return TargetNames(profile_name, str(target), "", folder)
    kind = ((profile.get("outputs") or {}).get(target) or {}).get("type")
    if not isinstance(kind, str) or "{{" in kind or "{{" in str(target):
        resolved = resolve_target(project)
        return TargetNames(resolved.profile_name, resolved.target_name, resolved.type, folder)
    return TargetNames(profile_name, str(target), kind, folder)


def render_env(project: Any) -> dict[str, str]:
    """The environment a profile is rendered in (and dbt runs with): dango's warehouse default for the profile."""
    return {WAREHOUSE_ENV: str(project.path(project.settings.platform.duckdb_path))}


def resolve_target(project: Any, profile_data: dict[str, Any] | None = None) -> WarehouseTarget:
    """The project's dbt target, rendered by dbt (env_var() and all); `profile_data` replaces profiles.yml."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.exceptions import DbtProfileError, DbtRuntimeError
    from dbt_common.context import set_invocation_context

    _, profile_name = dbt_project_names(project)
    folder: Path | None = None
    target_override = project.settings.airflow.dbt_target
    env = {**os.environ, **render_env(project)}
    set_invocation_context(env)
    try:
        if profile_data is not None:
            target_name = target_override or "dango"
            data = ProfileRenderer({}).render_data(dict(profile_data))
        else:
            folder = profiles_dir(project)
            raw = read_profile(str(folder))
            if profile_name not in raw:
                raise WarehouseConfigError(
                    f"{folder / 'profiles.yml'}: no profile {profile_name!r} (the dbt project's `profile:`)"
                )
            target_name, data = Profile.render_profile(
                raw[profile_name], profile_name, target_override, ProfileRenderer({})
            )
    except (DbtProfileError, DbtRuntimeError) as exc:
        where = folder / "profiles.yml" if folder else "airflow.warehouse_conn_id"
        first = " ".join(str(exc).split())
        raise WarehouseConfigError(f"{where}: profile {profile_name!r}: {first}") from None
    finally:
        set_invocation_context(dict(os.environ))
    data = dict(data)
    data.pop("threads", None)
    kind = str(data.get("type") or "")
    if kind not in SUPPORTED:
        raise WarehouseConfigError(
            f"profile {profile_name!r} target {target_name!r}: adapter {kind!r} is not supported by dango "
            f"(use {' or '.join(SUPPORTED)})"
        )
    if kind == "duckdb":
        raw_path = str(data.get("path") or "")
        if not raw_path or raw_path == ":memory:" or raw_path.startswith("md:"):
            raise WarehouseConfigError(
                f"profile {profile_name!r} target {target_name!r}: path {raw_path or '(none)'!r} is not a DuckDB "
                "file; dango needs a file every task can open"
            )
        path = Path(raw_path).expanduser()
        if not path.is_absolute():
            path = (project.dbt_project_dir / path).resolve()  # dango runs dbt from the dbt project folder
        return WarehouseTarget(
            kind, profile_name, target_name, folder, path=path, credentials=data, schema=data.get("schema")
        )
    return WarehouseTarget(kind, profile_name, target_name, folder, credentials=data, schema=data.get("schema"))


def mismatch(project: Any, target: WarehouseTarget) -> str | None:
    """One line when `platform.duckdb_path` (set in project.yml) and the dbt target name different warehouses."""
    if "duckdb_path" not in project.settings.platform.model_fields_set:
        return None  # not given: the dbt target alone names the warehouse
    configured = project.path(project.settings.platform.duckdb_path)
    if target.path is not None and target.path.resolve() == configured.resolve():
        return None
    return (
        f"platform.duckdb_path is {configured} but the dbt target {target.profile_name}.{target.target_name} "
        f"is {target.describe()}: name one warehouse (fix the profile's path, or drop platform.duckdb_path)"
    )
