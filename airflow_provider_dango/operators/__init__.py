"""Airflow operators: thin adapters from Airflow context to the core functions."""
