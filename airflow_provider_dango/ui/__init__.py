"""dango's pages in the Airflow 3 UI (an Airflow adapter): a FastAPI app mounted by the api-server at /dango, nav
entries and a task-instance tab. Every route requires an authenticated Airflow user; actions require edit permission
on the DAGs of the affected source."""
