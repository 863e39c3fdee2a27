"""`dango demo`: the runner (`runner.py`) and the stories it tells after its first DAG run, one per pillar.

Each story module has `story(project, dag, dag_run, console)`; it may change the warehouse and run the DAG again
(drift does), and leaves the project as it found it so `make demo` can run twice.
"""
