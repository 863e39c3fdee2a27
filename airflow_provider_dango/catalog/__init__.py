"""The data catalog (core, no Airflow import): models, sources, columns, profiles, PII, drift, tests, monitors and
lineage in one model built from dbt's manifest and dango's warehouse tables. Served by the static export
(`dango catalog build`) and the Airflow UI plugin (`airflow_provider_dango.ui`)."""
