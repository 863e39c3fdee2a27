"""Running dbt in-process against the warehouse's own target: the profile dango resolved, under the DuckDB lock.

This is how the warehouse layer runs macros (`Warehouse.run_operation`); `airflow_provider_dango.dbt` builds on it.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from airflow_provider_dango.warehouse.target import profiles_dir, render_env

QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}


MONITORS_PATH_ENV = "DANGO_MONITORS_PATH"


def dango_monitors_path() -> Path:
    """The dango_monitors dbt package: $DANGO_MONITORS_PATH, else the copy in the wheel, else this source checkout's.

    Projects name it as `local: "{{ env_var('DANGO_MONITORS_PATH') }}"` in packages.yml, and every dbt run that dango
    starts sets that variable, so a project copied anywhere resolves the package with no machine-specific path.
    """
    configured = os.environ.get(MONITORS_PATH_ENV)
    if configured:
        return Path(configured).resolve()
    package = Path(__file__).resolve().parent.parent
    shipped = package / "dbt_packages" / "dango_monitors"  # laid there by setup.py when the wheel is built
    return shipped if shipped.is_dir() else package.parent / "dbt_packages" / "dango_monitors"


def dbt_env(project: Any) -> dict[str, str]:
    """Environment every dbt invocation gets: dango's warehouse default for scaffolded profiles, the dango_monitors
    package's folder (packages.yml reads it), telemetry off."""
    return {**render_env(project), MONITORS_PATH_ENV: str(dango_monitors_path()), **QUIET_ENV}


def profiles_folder(project: Any) -> Path:
    """The folder with the profiles.yml dbt must read: the project's, or one written for an Airflow connection's
    profile (its secrets stay `env_var()` references, resolved from the task's environment)."""
    from airflow_provider_dango.warehouse import for_project

    wh = for_project(project)
    bound = getattr(project, "_warehouse_profile", None)
    if bound is None:
        return wh.target.profiles_dir or profiles_dir(project)
    folder = Path(tempfile.gettempdir()) / f"dango-profile-{os.getpid()}-{id(project)}"
    folder.mkdir(parents=True, exist_ok=True)
    profile = {wh.target.profile_name: {"target": wh.target.target_name, "outputs": {wh.target.target_name: bound}}}
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


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


@contextmanager
def _in_folder(folder: Path) -> Iterator[None]:
    """dbt-duckdb opens a relative `path:` from the working folder: run dbt where dango resolved it from."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


class DbtCommandError(RuntimeError):
    """A dbt command failed; the message is the command (without its arguments) and the database's own error."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


def run_dbt(project: Any, args: list[str]) -> Any:
    """Run dbt in-process (dbtRunner) against the project's dbt folder; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    from airflow_provider_dango.warehouse import for_project

    wh = for_project(project)
    full = [*args, "--project-dir", str(project.dbt_project_dir), "--profiles-dir", str(profiles_folder(project))]
    if wh.target.target_name and "--target" not in args:
        full += ["--target", wh.target.target_name]
    errors: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level == "error" and event.info.msg:
            errors.append(str(event.info.msg))

    with patched_env(dbt_env(project)), wh.lock(), _in_folder(project.dbt_project_dir):
        result = dbtRunner(callbacks=[collect]).invoke(full)
    if not result.success:
        detail = _error_text(result.exception, errors)
        raise DbtCommandError(f"dbt {_command(args)} failed: {detail}", detail)
    return result


def _command(args: list[str]) -> str:
    """`run-operation dango_monitors.run_monitors` from the argv: the words before the first option, no JSON."""
    words = [a for a in args if a != "--quiet"]
    shown: list[str] = []
    for word in words:
        if word.startswith("-"):
            break
        shown.append(word)
    return shlex.join(shown)


def _error_text(exception: BaseException | None, errors: list[str]) -> str:
    """The database's message: dbt's error events (the macro's or adapter's error), else the exception; one line
    per distinct message, dbt's own framing lines dropped."""
    lines: list[str] = []
    for text in [*errors, str(exception) if exception else ""]:
        for line in text.splitlines():
            line = line.strip()
            framing = line.startswith(("Encountered an error while running operation", "Runtime Error"))
            if line and not framing and line not in lines:
                lines.append(line)
    return " ".join(lines) if lines else "no error message from dbt"
