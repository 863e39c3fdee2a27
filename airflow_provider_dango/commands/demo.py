"""`dango demo`: run a project's sync DAG end to end in a local Airflow (SQLite metadata) and tell each pillar's story.

The steps and the stories live in `airflow_provider_dango.demo`; this module is only the command.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("demo", parents=[common], help="run a project's sync DAG end to end, locally")
    p.add_argument("--schedule", help="schedule to run (default: the first enabled sync schedule)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from airflow_provider_dango.demo.runner import run as run_demo

    return run_demo(args.project_dir, args.schedule)
