"""Airflow hooks: thin adapters over the core."""
