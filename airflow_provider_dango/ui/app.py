"""The FastAPI app the plugin mounts at /dango: the catalog pages and their JSON API.

Plugin FastAPI apps are not behind Airflow's authentication by default, so the app itself depends on Airflow's
`get_user` (JWT from the `Authorization: Bearer` header or the UI's `_token` cookie): every route, pages included,
answers 401 without a valid token. Actions also need DAG edit permission (`PUT` on the DAGs syncing the source).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep, get_user
from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from airflow_provider_dango.catalog.lineage import subgraph
from airflow_provider_dango.catalog.pack import pack
from airflow_provider_dango.catalog.page import render_page
from airflow_provider_dango.catalog.search import SearchIndex

PREFIX = "/dango"  # the same as `ui.plugin.PREFIX` (kept light: imported by every Airflow process)
PROJECT_ENV = "DANGO_PROJECT_DIR"
PAGES = ("catalog", "monitors", "governance", "runs")
SERVER_TTL_S = 30
JsonBody = Annotated[dict[str, Any], Body()]


class _Cache:
    """The catalog model and its search index, rebuilt when the manifest, warehouse or overrides change."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.model: dict[str, Any] = {}
        self.index: SearchIndex | None = None

    @staticmethod
    def _stamp(path: Path | None) -> float | None:
        return path.stat().st_mtime if path is not None and path.exists() else None

    def get(self, project: Any) -> tuple[dict[str, Any], SearchIndex]:
        from airflow_provider_dango.catalog.build import catalog_model
        from airflow_provider_dango.warehouse import for_project

        path = for_project(project).path
        # A DuckDB file says when it changed; a server warehouse does not, so its model is read again every
        # SERVER_TTL_S seconds (and at once after an action on these pages).
        warehouse_stamp: Any = (
            (self._stamp(path), self._stamp(path.with_name(path.name + ".wal")))
            if path is not None
            else int(time.monotonic() // SERVER_TTL_S)
        )
        key = (
            str(project.root),
            self._stamp(project.manifest_path),
            warehouse_stamp,
            self._stamp(project.dango_dir / "pii-overrides.yml"),
        )
        with self.lock:
            if key != self.key or self.index is None:
                self.model = catalog_model(project)
                self.index = SearchIndex(self.model)
                self.key = key
            return self.model, self.index

    def clear(self) -> None:
        with self.lock:
            self.key = None


CACHE = _Cache()


def project() -> Any:
    """The dango project named by $DANGO_PROJECT_DIR, its warehouse bound through the Airflow hook (so
    `airflow.warehouse_conn_id` works here as in the tasks)."""
    from airflow_provider_dango.hooks.warehouse import load_project_with_warehouse

    root = os.environ.get(PROJECT_ENV)
    if not root:
        raise HTTPException(503, f"{PROJECT_ENV} is not set for the api-server: point it at the dango project")
    return load_project_with_warehouse(root)


def _user_name(user: Any) -> str:
    return str(getattr(user, "get_name", lambda: None)() or getattr(user, "username", None) or "airflow user")


def require_dag_edit(user: Any, dag_ids: list[str]) -> None:
    """403 unless `user` may edit every DAG in `dag_ids` (all DAGs when the list is empty)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    manager = get_auth_manager()
    for dag_id in dag_ids or [None]:
        details = DagDetails(id=dag_id) if dag_id else None
        if not manager.is_authorized_dag(method="PUT", details=details, user=user):
            raise HTTPException(403, f"editing DAG {dag_id or '(all DAGs)'} is not allowed for this user")


def pool_banners() -> list[str]:
    """One line per problem with the project's Airflow pool (DuckDB only: missing, or more than one slot), read from
    the metadata database on every page: a missing pool is otherwise only visible in the scheduler's log."""
    from airflow_provider_dango.hooks.pools import pool_problems
    from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook

    try:
        proj = project()
        if not [s for s in proj.schedules if s.enabled] or not DangoWarehouseHook(proj).serialise_writers():
            return []
        return [f"dango: {line}" for line in pool_problems({proj.settings.airflow.pool})]
    except HTTPException:
        return []  # no project: the page's own API calls say so
    except Exception as exc:
        return [f"dango: could not check the Airflow pool: {exc}"]


def _page(page: str, route: str | None = None) -> HTMLResponse:
    config = {"mode": "plugin", "api": f"{PREFIX}/api", "page": page, "route": route}
    return HTMLResponse(render_page(config, banners=pool_banners()), headers={"Cache-Control": "no-store"})


def create_app() -> FastAPI:
    app = FastAPI(title="dango", dependencies=[Depends(get_user)], docs_url=None, redoc_url=None, openapi_url=None)

    for name in PAGES:
        app.add_api_route(f"/{name}", lambda name=name: _page(name), methods=["GET"], response_class=HTMLResponse)

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return _page("catalog")

    @app.get("/node/{unique_id}", response_class=HTMLResponse)
    def node_page(unique_id: str) -> HTMLResponse:
        return _page("node", f"/node/{unique_id}")

    @app.get("/task/{dag_id}/{task_id}", response_class=HTMLResponse)
    def task_page(dag_id: str, task_id: str) -> HTMLResponse:
        """The task-instance tab: a Cosmos task id (`dbt.<model>.run`, `dbt.<model>_run`, ...) -> that model's page;
        the one `dbt_build` task of `dbt_tasks: single` (every model) -> the catalog."""
        if task_id == "dbt_build":
            return _page("catalog")
        model, _ = CACHE.get(project())
        name = task_id.split(".")[-2] if task_id.count(".") >= 2 else task_id.split(".")[-1]
        for suffix in ("_run", "_test", "_seed", "_snapshot", "_build"):
            name = name.removesuffix(suffix)
        node = next((n for n in model["nodes"] if n["name"] == name and n["resource_type"] != "source"), None)
        if node is None:
            return _page("catalog", "/catalog?q=" + name)
        return _page("node", f"/node/{node['unique_id']}")

    @app.get("/api/catalog")
    def api_catalog(packed: bool = False) -> dict[str, Any]:
        """The catalog model (`catalog.json`'s form); `packed=1` gives the page's compact form."""
        model = CACHE.get(project())[0]
        return pack(model) if packed else model

    @app.get("/api/search")
    def api_search(q: str = "", limit: int = 50) -> dict[str, Any]:
        _, index = CACHE.get(project())
        return {"query": q, "results": index.search(q, min(max(limit, 1), 200))}

    @app.get("/api/nodes/{unique_id}")
    def api_node(unique_id: str) -> dict[str, Any]:
        model, _ = CACHE.get(project())
        node = next((n for n in model["nodes"] if n["unique_id"] == unique_id), None)
        if node is None:
            raise HTTPException(404, f"no node {unique_id} in the catalog")
        return node

    @app.get("/api/lineage/{unique_id}")
    def api_lineage(unique_id: str, depth: int = 2) -> dict[str, Any]:
        model, _ = CACHE.get(project())
        return subgraph(model, unique_id, min(max(depth, 1), 10))

    @app.post("/api/drift/accept")
    def api_accept(request: Request, body: JsonBody, user: GetUserDep) -> dict[str, Any]:
        from airflow_provider_dango.ui.actions import ActionError, accept_drift, source_of_table

        _json_only(request)
        proj = project()
        table = str(body.get("table") or "")
        source = source_of_table(proj, table)
        require_dag_edit(user, _dags_of(proj, source))
        try:
            accept_drift(proj, table, _user_name(user))
        except ActionError as exc:
            raise HTTPException(400, str(exc)) from exc
        CACHE.clear()
        return {"accepted": table, "by": _user_name(user)}

    @app.post("/api/pii/override")
    def api_pii(request: Request, body: JsonBody, user: GetUserDep) -> dict[str, Any]:
        from airflow_provider_dango.ui.actions import ActionError, set_pii_override, source_of_table

        _json_only(request)
        proj = project()
        table, column, status = str(body.get("table") or ""), str(body.get("column") or ""), str(body.get("status"))
        require_dag_edit(user, _dags_of(proj, source_of_table(proj, table)))
        try:
            set_pii_override(proj, table, column, status, _user_name(user), body.get("reason"))
        except ActionError as exc:
            raise HTTPException(400, str(exc)) from exc
        CACHE.clear()
        return {"table": table, "column": column, "status": status, "by": _user_name(user)}

    return app


def _json_only(request: Request) -> None:
    """Actions take JSON only: a cross-site HTML form cannot send it without a CORS preflight."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(415, "send application/json")


def _dags_of(proj: Any, source: str | None) -> list[str]:
    if source is None:
        return []
    return [s.dag_id for s in proj.schedules if source in s.sources]
