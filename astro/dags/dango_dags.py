"""dango DAGs for the project in include/ (DANGO_PROJECT_DIR, set in the Dockerfile)."""

import os
from pathlib import Path

from airflow_provider_dango.dag_factory import build_dags

PROJECT_DIR = os.environ.get("DANGO_PROJECT_DIR", Path(__file__).resolve().parent.parent / "include" / "shop")

globals().update(build_dags(PROJECT_DIR))
