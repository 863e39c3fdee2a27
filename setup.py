"""Ships the dango_monitors dbt package inside the wheel, as `airflow_provider_dango/dbt_packages/dango_monitors`.

Everything else about the build is in pyproject.toml. The dbt package lives at the repository's top level (dbt users
install it from git with `subdirectory:`); this step copies it next to the Python code so that a plain
`pip install airflow-provider-dango` carries the macros too. `airflow_provider_dango.dbt.dango_monitors_path()` finds
that copy, or the checkout's folder in an editable install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DBT_PACKAGE = HERE / "dbt_packages" / "dango_monitors"
# The package's own test project and anything dbt generated are not part of what users install.
LEFT_OUT = shutil.ignore_patterns("integration_tests", "target", "dbt_packages", "logs", "__pycache__", "*.duckdb*")


class BuildWithDbtPackage(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's folder directly
        dest = Path(self.build_lib) / "airflow_provider_dango" / "dbt_packages" / "dango_monitors"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(DBT_PACKAGE, dest, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithDbtPackage})
