"""Airflow DAGs from a dango project's `.dango/*.yml`: copy this file into your DAGs folder.

Set DANGO_PROJECT_DIR to the project (the folder holding `.dango/`); by default this repository's demo shop.
"""

import os
from pathlib import Path

from airflow_provider_dango.dag_factory import build_dags

PROJECT_DIR = os.environ.get("DANGO_PROJECT_DIR", Path(__file__).resolve().parent.parent / "examples" / "shop")

globals().update(build_dags(PROJECT_DIR))
