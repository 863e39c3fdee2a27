"""DangoScriptOperator: Dango's `type: script` schedules run a Python file from the project's scripts/ folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator


class DangoScriptOperator(BaseOperator):
    template_fields: Sequence[str] = ("project_dir", "script_path")

    def __init__(self, *, project_dir: str, script_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.script_path = script_path

    def execute(self, context: Any) -> None:
        root = Path(self.project_dir).resolve()
        script = (root / self.script_path).resolve()
        if not script.is_relative_to(root / "scripts") or not script.is_file():
            raise FileNotFoundError(f"script {self.script_path!r} not found inside {root / 'scripts'}")
        self.log.info("Running %s", script)
        subprocess.run([sys.executable, str(script)], cwd=root, check=True)
