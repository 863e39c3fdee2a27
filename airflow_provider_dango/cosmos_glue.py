"""Render a schedule's dbt work with Cosmos from the prebuilt manifest (LoadMode.DBT_MANIFEST: no dbt at parse time)."""

from __future__ import annotations

import functools
from typing import Any

from airflow_provider_dango.config import DangoProject, Schedule
from airflow_provider_dango.dbt import dbt_env, dbt_profile, load_manifest_cached, parse_dbt_command
from airflow_provider_dango.hooks.warehouse import hold_for_dbt_task, release_after_dbt_task

SINGLE_TASK_ID = "dbt_build"


class ManifestMissingError(FileNotFoundError):
    pass


def require_manifest(project: DangoProject) -> None:
    if not project.manifest_path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {project.manifest_path}: run `dango dbt manifest --project-dir {project.root}`"
        )


def _configs(project: DangoProject) -> dict[str, Any]:
    import cosmos.settings
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig
    from cosmos.constants import ExecutionMode, InvocationMode

    cosmos.settings.enable_telemetry = False  # in case Cosmos was imported before our environment default
    profile = dbt_profile(project)
    conn_id = project.settings.airflow.warehouse_conn_id
    if conn_id:
        from airflow_provider_dango.hooks.warehouse import profile_mapping

        # The same Airflow connection (and dbt schema) the operators' warehouse hook reads: dbt and the checks share
        # one database.
        profile_config = ProfileConfig(
            profile_name=profile.profile_name,
            target_name=profile.target_name,
            profile_mapping=profile_mapping(conn_id, project),
        )
    else:
        profile_config = ProfileConfig(
            profile_name=profile.profile_name,
            target_name=profile.target_name,
            profiles_yml_filepath=profile.profiles_yml,
        )
    return {
        "project_config": ProjectConfig(
            dbt_project_path=project.dbt_project_dir,
            manifest_path=project.manifest_path,
            project_name=profile.project_name,
            install_dbt_deps=False,
            env_vars=dbt_env(project),
        ),
        "profile_config": profile_config,
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
    }


def _group(project: DangoProject, select: list[str], exclude: list[str], test_behavior: str, **op_args: Any) -> Any:
    from cosmos import DbtTaskGroup, RenderConfig
    from cosmos.constants import LoadMode, TestBehavior

    require_manifest(project)
    # Audit trail: Cosmos calls this (by import path, resolved at run time) with its temporary dbt folder after dbt
    # ran and before it raises on failures, so every node result, failed tests included, lands in the audit tables;
    # it then releases the warehouse lock that pre_execute took (hooks/warehouse.py: dbt holds DuckDB open).
    op_args.setdefault("callback", "airflow_provider_dango.hooks.warehouse.after_cosmos_dbt")
    op_args.setdefault("callback_args", {"project_dir": str(project.root)})
    op_args.setdefault("pre_execute", functools.partial(hold_for_dbt_task, project_dir=str(project.root)))
    op_args.setdefault("post_execute", release_after_dbt_task)
    render = RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        exclude=exclude,
        test_behavior=TestBehavior(test_behavior),
        emit_datasets=False,
    )
    return DbtTaskGroup(group_id="dbt", render_config=render, operator_args=op_args, **_configs(project))


def dbt_group_for_sources(project: DangoProject, schedule: Schedule, sources: list[str]) -> Any:
    """`dbt build` of the models downstream of the synced sources (dbt's `source:<name>+`), or None if there are none.

    The selection is resolved here from the manifest's child map, with dbt's semantics, and handed to Cosmos as
    model names: Cosmos's own `source:` selector matches single source tables, not whole sources.
    """
    from airflow_provider_dango.dbt import models_downstream_of_sources

    require_manifest(project)
    manifest = load_manifest_cached(project)
    models = models_downstream_of_sources(manifest, sources)
    if not models:
        return None
    names = sorted({manifest["nodes"][uid]["name"] for uid in models})
    if schedule.dbt_tasks == "single":
        return _single_task(project, select=names)
    return _group(project, names, [], "after_each")


def _single_task(project: DangoProject, **kwargs: Any) -> Any:
    """`dbt_tasks: single`: one dbt task for the whole selection (no Cosmos rendering). With a warehouse connection
    its mapping is resolved here too, as Cosmos's tasks do: a missing connection or dbt schema is the DAG file's
    one-line import error, not a surprise at the first run."""
    from airflow_provider_dango.operators.dbt import DangoDbtBuildOperator

    conn_id = project.settings.airflow.warehouse_conn_id
    if conn_id:
        from airflow_provider_dango.hooks.warehouse import profile_mapping

        profile_mapping(conn_id, project)

    return DangoDbtBuildOperator(task_id=SINGLE_TASK_ID, project_dir=str(project.root), **kwargs)


def dbt_tasks_for_command(project: DangoProject, schedule: Schedule, command: str) -> Any:
    """A `type: dbt` schedule: a Cosmos group for build/run/test selections, one plain task for anything else."""
    parsed = parse_dbt_command(command)
    if parsed.renderable and schedule.dbt_tasks == "single":
        return _single_task(
            project, select=parsed.select, exclude=parsed.exclude, verb=parsed.verb, full_refresh=parsed.full_refresh
        )
    if parsed.renderable:
        behavior = {"build": "after_each", "run": "none"}[parsed.verb]
        extra = {"full_refresh": True} if parsed.full_refresh else {}
        return _group(project, parsed.select, parsed.exclude, behavior, **extra)
    from airflow_provider_dango.operators.dbt import DangoDbtCommandOperator

    return DangoDbtCommandOperator(task_id="dbt", project_dir=str(project.root), command=command)
