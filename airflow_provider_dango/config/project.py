"""`.dango/project.yml`: where the warehouse and the dbt project are, in Dango's keys plus an `airflow:` block."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from airflow_provider_dango.config.base import DangoModel


class ProjectContext(DangoModel):
    """Dango's descriptive `project:` section; only `name` matters to us, the rest is kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = "dango"


class PlatformSettings(DangoModel):
    """Dango's `platform:` keys. We use the paths; the UI ports and watchers belong to Dango's own server."""

    duckdb_path: str = "./data/warehouse.duckdb"
    dbt_project_dir: str = "./dbt"
    data_dir: str = "./data"
    port: int = 8800
    metabase_port: int = 3000
    dbt_docs_port: int = 8081
    auto_sync: bool = True
    auto_dbt: bool = True
    debounce_seconds: int = 600
    watch_patterns: list[str] = ["*.csv"]
    watch_directories: list[str] = ["data/uploads"]


class AirflowSettings(DangoModel):
    """Our additions: how the generated DAGs reach dbt and Airflow."""

    dbt_profiles_dir: str | None = None
    dbt_profile: str | None = None
    dbt_target: str | None = None
    warehouse_conn_id: str | None = Field(
        default=None, description="Airflow connection whose dbt profile (Cosmos profile mapping) is the warehouse"
    )
    warehouse_schema: str | None = Field(
        default=None,
        description="dbt schema on a PostgreSQL `warehouse_conn_id` (the connection's `schema` field is the database); "
        "default: the dbt target's `schema` when that target is PostgreSQL",
    )
    manifest_path: str | None = None
    pool: str = "dango_warehouse"
    base_url: str = Field(default="http://localhost:8080", description="Airflow UI, for links in alerts")
    extra_python_paths: list[str] = ["."]
    is_paused_upon_creation: bool | None = Field(
        default=None,
        description="whether generated DAGs start paused; none: Airflow's [core] dags_are_paused_at_creation (true)",
    )
    audit_retention_days: int = Field(
        default=30, description="days of dango_audit_* rows kept in the warehouse; 0 keeps everything"
    )
    warehouse_lock_timeout_s: float = Field(
        default=1800, gt=0, description="seconds a command or task waits for the DuckDB warehouse lock, then fails"
    )


class ProjectFile(DangoModel):
    project: ProjectContext = ProjectContext()
    platform: PlatformSettings = PlatformSettings()
    airflow: AirflowSettings = AirflowSettings()
    version: Any = None
