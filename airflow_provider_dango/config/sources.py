"""`.dango/sources.yml`: the dlt sources a project syncs, each landing in schema `raw_<name>`.

Two spellings load: ours (`function: "package.module:factory"`, `args`) and Dango's `type: dlt_native` block
(`source_module`, `source_function`, `function_kwargs`). Dango's registry types (stripe, csv, ...) load too, but only
sources with a Python callable can be synced here: validation says so when a schedule uses one.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from airflow_provider_dango.config.base import DangoModel

WriteDisposition = Literal["append", "replace", "merge"]

# Dango's registry source types: accepted so Dango files load unchanged, runnable only with `function`.
DANGO_REGISTRY_TYPES = [
    "csv",
    "rest_api",
    "facebook_ads",
    "google_ads",
    "google_analytics",
    "google_sheets",
    "matomo",
    "mux",
    "airtable",
    "hubspot",
    "salesforce",
    "pipedrive",
    "freshdesk",
    "zendesk",
    "asana",
    "jira",
    "workable",
    "shopify",
    "stripe",
    "notion",
    "inbox",
    "mongodb",
    "postgres",
    "sql_database",
    "kafka",
    "kinesis",
    "github",
    "slack",
    "chess",
    "scrapy",
    "strapi",
    "personio",
]


class DltNativeConfig(DangoModel):
    source_module: str
    source_function: str
    function_kwargs: dict[str, Any] = {}
    pipeline_name: str | None = None
    dataset_name: str | None = None


class Source(DangoModel):
    """One dlt source."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: str = "dlt_native"
    enabled: bool = True
    function: str | None = None
    args: dict[str, Any] = {}
    write_disposition: WriteDisposition | None = None
    tables: list[str] = []
    description: str | None = None
    tags: list[str] = []
    dlt_native: DltNativeConfig | None = None
    # Dango's per-type config blocks, kept as given.
    csv: dict[str, Any] | None = None
    rest_api: dict[str, Any] | None = None
    stripe: dict[str, Any] | None = None
    shopify: dict[str, Any] | None = None
    hubspot: dict[str, Any] | None = None
    salesforce: dict[str, Any] | None = None
    github: dict[str, Any] | None = None
    slack: dict[str, Any] | None = None
    facebook_ads: dict[str, Any] | None = None
    google_analytics: dict[str, Any] | None = None
    google_sheets: dict[str, Any] | None = None
    generic_config: dict[str, Any] | None = None

    @field_validator("function")
    @classmethod
    def _function(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", value):
            raise ValueError(f"function {value!r} must look like 'package.module:function'")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in ("dlt_native", *DANGO_REGISTRY_TYPES):
            raise ValueError(f"unknown source type {value!r}")
        return value

    @model_validator(mode="after")
    def _callable(self) -> Source:
        if self.type == "dlt_native" and not self.function and not self.dlt_native:
            raise ValueError(f"source {self.name!r} needs `function: package.module:function`")
        return self

    @property
    def schema_name(self) -> str:
        return f"raw_{self.name}"

    @property
    def callable_path(self) -> str | None:
        """`module:function` to import at run time, or None for a Dango registry type we cannot run."""
        if self.function:
            return self.function
        if self.dlt_native:
            return f"{self.dlt_native.source_module}:{self.dlt_native.source_function}"
        return None

    @property
    def call_args(self) -> dict[str, Any]:
        return dict(self.dlt_native.function_kwargs) if self.dlt_native and not self.function else dict(self.args)


class SourcesFile(DangoModel):
    version: str = "1.0"
    sources: list[dict] = []
